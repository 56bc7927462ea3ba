"""A failing blocking GX check stops everything downstream of its asset in the same run."""

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from dagster_project.defs.assets.figure_assets import port_share_chart
from dagster_project.defs.assets.raw_assets import raw_monthly_totals, raw_week
from dagster_project.defs.checks import suite_checks
from dagster_project.defs.partitions import weekly_partitions
from dagster_project.defs.resources import SourcesResource, WarehouseResource
from tests import validation_data as data


@pytest.fixture
def run_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRAFFICREPORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRAFFICREPORT_OUTPUT_DIR", str(tmp_path / "assets"))
    return tmp_path


def port_usage_stand_in(frame: pd.DataFrame) -> dg.AssetsDefinition:
    """Writes `frame` as the port_usage mart, in place of the dbt model."""

    @dg.asset(name="port_usage", partitions_def=weekly_partitions)
    def port_usage(warehouse: WarehouseResource) -> None:
        with warehouse.connect() as con:
            data.load_mart(con, "port_usage", frame)

    return port_usage


def checks_on(*asset_names: str) -> list[dg.AssetChecksDefinition]:
    return [
        check
        for check in suite_checks
        if {key.asset_key.path[-1] for key in check.check_keys} & set(asset_names)
    ]


def materialize_port_chart(frame: pd.DataFrame, run_dirs: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [port_usage_stand_in(frame), port_share_chart, *checks_on("port_usage")],
        partition_key=data.WEEK.isoformat(),
        resources={"warehouse": WarehouseResource(path=str(run_dirs / "warehouse.duckdb"))},
        raise_on_error=False,
    )


def check_outcomes(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {
        evaluation.check_name: evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }


def test_failing_mart_check_blocks_the_figure(run_dirs: Path) -> None:
    broken = data.port_usage().drop(index=[6])  # ESP lost: protocol shares sum to 95
    result = materialize_port_chart(broken, run_dirs)
    assert check_outcomes(result) == {"gx_port_usage": False}
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey("port_usage") in materialized
    assert dg.AssetKey("port_share_chart") not in materialized
    assert not (run_dirs / "assets" / "figures" / f"port_shares_{data.WEEK}.png").exists()
    evaluation = result.get_asset_check_evaluations()[0]
    assert evaluation.metadata["failed_expectations"].value == 1
    assert "protocol_share_total" in evaluation.metadata["result"].value


def write_file_sources(folder: Path, flows: pd.DataFrame) -> Path:
    """A sources.yaml reading CSV files whose week of flows is `flows`."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "flows": ("canonical_csv", flows.drop(columns=["source_file", "source_row"])),
        "assignments": ("csv", data.assignments().drop(columns=["source_file"])),
        "usage_counters": ("csv", data.usage_counters().drop(columns=["source_file"])),
        "monthly_totals": ("csv", data.monthly_totals().drop(columns=["source_file"])),
    }
    entries = []
    for name, (file_format, frame) in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
        entries.append(
            f"  {name}:\n    - name: test-{name}\n      format: {file_format}\n"
            f"      path: {folder / name}.csv\n"
        )
    config = folder / "sources.yaml"
    config.write_text("kind: files\nfiles:\n" + "".join(entries))
    return config


@dg.asset(deps=["raw_flows"], partitions_def=weekly_partitions)
def flow_consumer() -> None:
    """Stands in for the dbt models that read raw.flows."""


def materialize_raw_week(flows: pd.DataFrame, run_dirs: Path) -> dg.ExecuteInProcessResult:
    config = write_file_sources(run_dirs / "incoming", flows)
    return dg.materialize(
        [raw_week, raw_monthly_totals, flow_consumer, *checks_on("raw_flows")],
        partition_key=date(2024, 6, 3).isoformat(),
        selection=dg.AssetSelection.assets(raw_week, flow_consumer),
        resources={
            "warehouse": WarehouseResource(path=str(run_dirs / "warehouse.duckdb")),
            "sources": SourcesResource(config_path=str(config)),
        },
        raise_on_error=False,
    )


def test_clean_raw_week_lets_downstream_run(run_dirs: Path) -> None:
    result = materialize_raw_week(data.flows(), run_dirs)
    assert check_outcomes(result) == {
        "gx_raw_flows": True,
        "gx_raw_flows_profile": True,
        "gx_flow_traffic_drift": True,
        "gx_sampling_origin": True,
    }
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey("flow_consumer") in materialized


def test_failing_raw_check_blocks_downstream_of_the_multi_asset(run_dirs: Path) -> None:
    broken = data.flows()
    # Bytes and packets swapped: a fault loading cannot see, as both parse as counts.
    broken.loc[1, ["bytes", "packets"]] = [400, 40_000]
    result = materialize_raw_week(broken, run_dirs)
    outcomes = check_outcomes(result)
    assert outcomes["gx_raw_flows"] is False
    assert outcomes["gx_raw_flows_profile"] is False
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert dg.AssetKey("raw_flows") in materialized
    assert dg.AssetKey("flow_consumer") not in materialized
