"""A failing blocking GX check stops everything downstream of its asset in the same run."""

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from dagster_project.defs.assets.figure_assets import port_share_chart
from dagster_project.defs.assets.raw_assets import raw_monthly_totals, raw_week
from dagster_project.defs.checks import check_steps
from dagster_project.defs.partitions import weekly_partitions
from dagster_project.defs.resources import SourcesResource, WarehouseResource
from dagster_project.validation import suite_catalogue
from dagster_project.validation.gx_suites import write_data_docs
from dagster_project.validation.suite_catalogue import SUITE_CHECKS
from tests import validation_data as data
from tests.test_data_docs import local_targets


@pytest.fixture
def run_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRAFFICREPORT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRAFFICREPORT_OUTPUT_DIR", str(tmp_path / "assets"))
    return tmp_path


def mart_stand_in(name: str, frame: pd.DataFrame | None) -> dg.AssetsDefinition:
    """Writes `frame` as the mart `name`, in place of the dbt model (nothing when None)."""

    @dg.asset(name=name, partitions_def=weekly_partitions)
    def mart(warehouse: WarehouseResource) -> None:
        if frame is not None:
            with warehouse.connect() as con:
                data.load_mart(con, name, frame)

    return mart


def checks_on(*asset_names: str) -> list[dg.AssetChecksDefinition]:
    """The check steps as the code location builds them, over the checks of these assets."""
    return check_steps([spec for spec in SUITE_CHECKS if spec.asset in asset_names])


def materialize_port_chart(frame: pd.DataFrame, run_dirs: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [mart_stand_in("port_usage", frame), port_share_chart, *checks_on("port_usage")],
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


def materialize_two_marts(ipv6_share: pd.DataFrame | None, run_dirs: Path, monkeypatch):
    """The week's table checks on port_usage and ipv6_share, in the one step they share;
    returns the run and the checks of each Data Docs build (a build lists every stored
    result, so its cost grows with the history)."""
    docs_builds: list[list[str]] = []

    def counting_builds(runs):
        docs_builds.append([name for name, _ in runs])
        return write_data_docs(runs)

    monkeypatch.setattr(suite_catalogue, "write_data_docs", counting_builds)
    result = dg.materialize(
        [
            mart_stand_in("port_usage", data.port_usage()),
            mart_stand_in("ipv6_share", ipv6_share),
            *checks_on("port_usage", "ipv6_share"),
        ],
        partition_key=data.WEEK.isoformat(),
        resources={"warehouse": WarehouseResource(path=str(run_dirs / "warehouse.duckdb"))},
        raise_on_error=False,
    )
    return result, docs_builds


def test_the_checks_of_a_step_write_their_data_docs_in_one_build(run_dirs: Path, monkeypatch):
    result, docs_builds = materialize_two_marts(data.ipv6_share(), run_dirs, monkeypatch)
    assert check_outcomes(result) == {"gx_port_usage": True, "gx_ipv6_share": True}
    week = data.WEEK.isoformat()
    assert docs_builds == [[f"gx_port_usage_{week}", f"gx_ipv6_share_{week}"]]
    index = run_dirs / "data" / "gx_docs" / "index.html"
    pages = {
        Path(evaluation.metadata["data_docs"].value)
        for evaluation in result.get_asset_check_evaluations()
    }
    assert len(pages) == 2 and all(page.is_file() for page in pages)
    assert pages <= set(local_targets(index).values())


def test_a_check_that_cannot_run_costs_the_others_of_its_step_nothing(
    run_dirs: Path, monkeypatch
) -> None:
    result, docs_builds = materialize_two_marts(None, run_dirs, monkeypatch)  # no ipv6_share
    assert not result.success
    assert check_outcomes(result) == {"gx_port_usage": True}
    assert docs_builds == [[f"gx_port_usage_{data.WEEK.isoformat()}"]]
    (failure,) = result.get_step_failure_events()
    error, messages = failure.step_failure_data.error, []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    crash = next(message for message in messages if "could not run" in message)
    assert "SuiteCheckCrashed: 1 of 2 checks could not run: gx_ipv6_share: Catalog" in crash


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
