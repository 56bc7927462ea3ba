"""The cross-week figure, table and report assets on a warehouse of hand-built marts.

Checks each figure file, the byte-identical re-render, that every number in the report's
tables equals the mart it came from, and that a failed validation stops the drawing.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_project.defs import check_history
from dagster_project.defs.assets import figure_assets, page_assets, table_assets
from dagster_project.defs.resources import WarehouseResource
from dagster_project.reference.seeds import published_port_rows
from dagster_project.report.catalogue import FIGURES, PAGE_TABLES
from dagster_project.sources.raw_schema import QUARANTINE
from dagster_project.validation import verdicts
from dagster_project.warehouse import week_status
from dagster_project.weeks.reference_weeks import (
    COMPARISON_WEEKS,
    DEFAULT_WEEK,
    default_weeks,
)
from tests import report_frames as frames
from tests.html_tables import body_rows
from tests.report_reading import WEEK_HEADINGS, YEAR_HEADINGS, check_publication

MARTS = (
    "usage_summary",
    "port_usage",
    "week_port_shares",
    "subscriber_pair_traffic",
    "usage_distribution",
    "user_sample",
    "hourly_port_traffic",
    "weekday_hourly_traffic",
    "top_user_shares",
    "monthly_traffic",
    "usage_summary_by_year",
    "port_usage_by_year",
    "traffic_growth",
    "mode_growth",
    "ipv6_share",
    "ipv6_share_by_week",
)
REPORT_ASSETS = [
    *figure_assets.report_figures,
    *table_assets.report_tables,
    page_assets.weekly_report_page,
]


def mark_complete(con: duckdb.DuckDBPyConnection, weeks: list[date]) -> None:
    """Each week's tables one complete build, as a weekly run leaves them."""
    for week in weeks:
        week_status.mark_loaded(con, week, "hand-built")
        before = week_status.begin_build(con, week, "hand-built")
        week_status.finish_build(con, week, "hand-built", before, whole=True)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Iterator[WarehouseResource]:
    """The hand-built marts, every default week complete; the configured warehouse, as the
    checks read each week's completeness from it."""
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    marts = frames.hand_built_marts(COMPARISON_WEEKS, default_weeks())
    with duckdb.connect(str(path)) as con:
        for name, frame in marts.items():
            con.register("frame", frame)
            con.execute(f"create table main.{name} as select * from frame")
            con.unregister("frame")
        con.execute("create schema raw")
        con.execute(
            "create table raw.flows (week_start date, sampling_interval integer, "
            "sampling_origin varchar, exporter varchar)"
        )
        con.execute(
            "insert into raw.flows select week, 100, 'record', 'bras-01' from unnest(?) as t(week)",
            [default_weeks()],
        )
        con.execute(QUARANTINE.create_sql())
        con.execute(
            "insert into raw.quarantine values (?, 'flows', 'flows.csv', 7, 'invalid port', '')",
            [DEFAULT_WEEK],
        )
        mark_complete(con, default_weeks())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAFFICREPORT_DUCKDB", str(path))
        yield WarehouseResource(path=str(path))


@pytest.fixture(scope="module", autouse=True)
def validated_weeks(tmp_path_factory) -> Iterator[Path]:
    """A validation record in which every check of the code location passed for every week."""
    data = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAFFICREPORT_DATA_DIR", str(data))
        for asset, check in check_history.defined_checks():
            weeks = default_weeks() if check_history.is_weekly(asset) else [None]
            for week in weeks:
                key = week.isoformat() if week else verdicts.ALL_WEEKS
                verdicts.record(verdicts.Verdict(asset, check, verdicts.PASSED, key))
        yield data


@pytest.fixture(scope="module")
def output_dir(tmp_path_factory) -> Iterator[Path]:
    output = tmp_path_factory.mktemp("outputs") / "assets"
    (output / "tables").mkdir(parents=True)
    frames.calibration_comparison().to_csv(output / "tables" / "calibration.csv", index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAFFICREPORT_OUTPUT_DIR", str(output))
        yield output


def record_synthetic_loads(instance: dg.DagsterInstance) -> None:
    provenance = {"provenance/source": "synthetic", "provenance/seed": "2024"}
    for week in default_weeks():
        for asset in ("raw_flows", "raw_assignments", "raw_usage_counters"):
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset, partition=week.isoformat(), metadata=provenance)
            )
    instance.report_runless_asset_event(
        dg.AssetMaterialization("raw_monthly_totals", metadata={"provenance/source": "synthetic"})
    )


def materialize_report(
    instance, warehouse, checks=(), selected=REPORT_ASSETS
) -> dg.ExecuteInProcessResult:
    """Run the report assets as the code location does: a job of a Definitions object, so
    the assets see every check defined on the marts they read."""
    defs = dg.Definitions(
        assets=[*REPORT_ASSETS, *(dg.AssetSpec(mart) for mart in MARTS)],
        asset_checks=list(checks),
        jobs=[dg.define_asset_job("report", selection=dg.AssetSelection.assets(*selected))],
        resources={"warehouse": warehouse},
    )
    return defs.resolve_job_def("report").execute_in_process(
        instance=instance, raise_on_error=False
    )


def materialize_week_page(instance, warehouse, week: date, checks=()) -> dg.ExecuteInProcessResult:
    """The weekly page of one week, as a `weekly_report` run of that partition draws it."""
    defs = dg.Definitions(
        assets=[page_assets.week_report_page, *(dg.AssetSpec(mart) for mart in MARTS)],
        asset_checks=list(checks),
        jobs=[
            dg.define_asset_job(
                "week",
                selection=[page_assets.week_report_page.key],
                partitions_def=page_assets.week_report_page.partitions_def,
            )
        ],
        resources={"warehouse": warehouse},
    )
    return defs.resolve_job_def("week").execute_in_process(
        instance=instance, partition_key=week.isoformat(), raise_on_error=False
    )


def exported_items(folder: Path) -> dict[str, str]:
    """Item -> kind of every file index.json lists; each file loads with pandas as listed."""
    index = json.loads((folder / "index.json").read_text())
    for entry in index["files"]:
        path = folder / entry["file"]
        frame = pd.read_csv(path) if entry["format"] == "csv" else pd.read_parquet(path)
        assert list(frame.columns) == [column["name"] for column in entry["columns"]], path
        assert len(frame) == entry["rows"] and entry["marts"], path
    return {entry["item"]: entry["kind"] for entry in index["files"]}


def output_files(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in output.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as test_instance:
        record_synthetic_loads(test_instance)
        yield test_instance


@pytest.fixture(scope="module")
def first_run(instance, warehouse, output_dir) -> dict[str, bytes]:
    """Every output file of one report run."""
    assert materialize_report(instance, warehouse).success
    return output_files(output_dir)


def test_report_run_writes_every_figure_table_and_the_page(first_run, output_dir):
    from PIL import Image

    for entry in FIGURES:
        png = output_dir / "figures" / f"{entry.name}.png"
        with Image.open(png) as image:
            assert image.format == "PNG" and image.width >= 500, entry.name
            assert "Software" not in image.info
    page = (output_dir / "report" / f"{DEFAULT_WEEK.isoformat()}.html").read_text()
    assert page.count('src="data:image/png;base64,') == len(FIGURES)
    assert "http://" not in page and "https://" not in page
    assert "synthetic" in page.lower() and "Asia/Tokyo" in page and "1:100" in page
    assert "Calibration: 2 of 3 published statistics within tolerance" in page
    table_ids = set(body_rows(page))
    assert {entry.name for entry in page_assets.REPORTED_TABLES} | {"calibration"} <= table_ids
    assert body_rows(page)["rejected_records"] == [
        [DEFAULT_WEEK.isoformat(), "flows", "invalid port", "1"]
    ]
    exported = exported_items(output_dir / "report" / f"{DEFAULT_WEEK.isoformat()}-data")
    shown = (*page_assets.REPORTED_FIGURES, *page_assets.REPORTED_TABLES, *PAGE_TABLES)
    assert exported == {entry.name: entry.kind for entry in shown}
    pdf = output_dir / "report" / f"{DEFAULT_WEEK.isoformat()}.pdf"
    check_publication(page, pdf, YEAR_HEADINGS)


def test_re_rendering_gives_byte_identical_files(first_run, instance, warehouse, output_dir):
    assert materialize_report(instance, warehouse).success
    again = output_files(output_dir)
    assert again.keys() == first_run.keys()
    assert [name for name in first_run if again[name] != first_run[name]] == []


def test_a_synthetic_week_page_is_labelled_and_re_renders_byte_identical(
    instance, warehouse, output_dir
):
    path = output_dir / "report" / "weeks" / f"{DEFAULT_WEEK.isoformat()}.html"
    result = materialize_week_page(instance, warehouse, DEFAULT_WEEK)
    assert result.success
    page = path.read_bytes()
    text = page.decode()
    assert "<strong>synthetic</strong>" in text and "SYNTHETIC DATA" in text
    assert "Calibration" not in text
    assert text.count('src="data:image/png;base64,') == 8  # four figures for each service
    assert {"week_usage", "week_ports_broadband", "week_ports_mobile"} <= set(body_rows(text))
    assert "went between two subscribers (counted once for each line)" in text
    (materialization,) = result.asset_materializations_for_node("week_report_page")
    assert materialization.metadata["data"].value == "synthetic"
    exported = exported_items(path.with_name(f"{DEFAULT_WEEK.isoformat()}-data"))
    assert list(exported.values()).count("figure") == 8
    assert {name for name, kind in exported.items() if kind == "table"} == {
        name for name in body_rows(text) if name.startswith("week_")
    }
    assert materialization.metadata["exports"].value.endswith("-data/index.json")
    assert materialization.metadata["pdf"].value == str(path.with_suffix(".pdf"))
    check_publication(text, path.with_suffix(".pdf"), WEEK_HEADINGS)
    assert materialization.metadata["export_files"].value == len(exported) + sum(
        kind == "table" for kind in exported.values()
    )

    pdf = path.with_suffix(".pdf").read_bytes()
    assert materialize_week_page(instance, warehouse, DEFAULT_WEEK).success
    assert path.read_bytes() == page
    assert path.with_suffix(".pdf").read_bytes() == pdf


def test_every_number_in_the_report_tables_equals_its_mart(first_run, output_dir):
    shown = body_rows((output_dir / "report" / f"{DEFAULT_WEEK.isoformat()}.html").read_text())
    marts = frames.hand_built_marts(COMPARISON_WEEKS, default_weeks())

    summary = marts["usage_summary_by_year"]
    for table_id, service, decimals in (
        ("table_1_broadband_usage", "broadband", 0),
        ("table_2_mobile_usage", "mobile", 1),
    ):
        rows = {row[0]: row[1:] for row in shown[table_id]}
        assert len(rows) == len(COMPARISON_WEEKS)
        for record in summary[summary["service"] == service].itertuples():
            offset = 0 if record.direction == "IN" else 3
            cells = rows[str(record.report_year)][offset : offset + 3]
            expected = [record.mean_mb, record.median_mb, record.mode_mb]
            assert [float(c) for c in cells] == [round(v, decimals) for v in expected]

    ports = marts["port_usage_by_year"]
    for table_id, service, published in (
        ("table_3_broadband_ports", "broadband", published_port_rows("broadband")),
        ("table_4_mobile_ports", "mobile", published_port_rows("mobile")),
    ):
        rows = shown[table_id]
        assert [row[0] for row in rows] == [label for _, label in published]
        of_service = ports[ports["service"] == service]
        for row, (protocol, label) in zip(rows, published, strict=True):
            for column, year in enumerate(range(2020, 2025), start=1):
                expected = section_row(
                    of_service[of_service["report_year"] == year], protocol, label
                )
                assert float(row[column]) == round(expected, 1), (table_id, label, year)

    shares = frames.with_report_year(marts["top_user_shares"], COMPARISON_WEEKS)
    rows = {row[0]: row[1:] for row in shown["table_top_user_shares"]}
    for record in shares.itertuples():
        position = [1, 10].index(record.top_percent) * 2 + ["IN", "OUT"].index(record.direction)
        shown_value = rows[f"{record.service} {record.report_year}"][position]
        assert float(shown_value) == round(record.share_pct, 1)

    growth = marts["traffic_growth"].set_index(["service", "direction", "years", "to_month"])
    modes = marts["mode_growth"].set_index(["service", "direction", "from_year", "to_year"])
    rows = {row[0]: [float(cell) for cell in row[1:]] for row in shown["table_traffic_growth"]}
    for service in ("broadband", "mobile"):
        for direction in ("IN", "OUT"):
            line = (service, direction)
            assert rows[f"{service} {direction}"] == [
                round(100 * (growth.loc[(*line, 1, date(2024, 6, 1)), "growth_factor"] - 1), 1),
                round(100 * (growth.loc[(*line, 1, date(2023, 6, 1)), "growth_factor"] - 1), 1),
                round(growth.loc[(*line, 5, date(2024, 6, 1)), "growth_factor"], 2),
                round(growth.loc[(*line, 5, date(2024, 6, 1)), "annual_factor"], 2),
                round(modes.loc[(*line, 2023, 2024), "growth_factor"], 2),
                round(modes.loc[(*line, 2019, 2024), "growth_factor"], 2),
            ]


def section_row(year_rows, protocol: str, label: str) -> float:
    """share_pct of the mart row `label` inside the `protocol` section (rows in row_order)."""
    ordered = year_rows.sort_values("row_order")
    section = None
    for row in ordered.itertuples():
        section = row.label if row.level == 0 else section
        if (section, row.label) == (protocol, label):
            return row.share_pct
    raise AssertionError(f"no row {protocol} {label}")


@contextmanager
def failed_check_on(
    mart: str, week: str = verdicts.ALL_WEEKS
) -> Iterator[tuple[dg.DagsterInstance, dg.AssetChecksDefinition]]:
    """A blocking check `always_fails` on `mart` whose recorded verdict for `week` failed."""

    @dg.asset_check(asset=mart, blocking=True)
    def always_fails() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False)

    with dg.instance_for_test() as instance:
        record_synthetic_loads(instance)
        verdicts.record(verdicts.Verdict(mart, "always_fails", verdicts.FAILED, week))
        yield instance, always_fails
    verdicts.clear_week(week)


def test_a_failed_validation_stops_the_tables_that_read_the_mart(warehouse, tmp_path, monkeypatch):
    output_dir = tmp_path / "assets"
    monkeypatch.setenv("TRAFFICREPORT_OUTPUT_DIR", str(output_dir))
    table, figure = table_assets.report_tables[0], figure_assets.report_figures[2]
    assert table.key.path == ["table_1_broadband_usage"]
    assert figure.key.path == ["figure_03_usage_density_broadband"]

    with failed_check_on("usage_summary_by_year") as (instance, check):
        result = materialize_report(instance, warehouse, checks=[check], selected=[table, figure])
    assert not result.success
    failures = [
        event
        for event in result.all_events
        if event.is_step_failure and "table_1_broadband_usage" in (event.step_key or "")
    ]
    assert failures and "always_fails: failed" in str(failures[0].event_specific_data.error)
    assert not (output_dir / "tables" / "table_1_broadband_usage.md").exists()
    assert (output_dir / "figures" / "figure_03_usage_density_broadband.png").exists()


def test_a_failed_check_on_a_mart_of_the_week_stops_its_page(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("TRAFFICREPORT_OUTPUT_DIR", str(tmp_path / "assets"))

    with failed_check_on("week_port_shares", DEFAULT_WEEK.isoformat()) as (instance, check):
        result = materialize_week_page(instance, warehouse, DEFAULT_WEEK, [check])
    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    assert "always_fails: failed" in str(failure.event_specific_data.error)
    assert not (tmp_path / "assets" / "report" / "weeks").exists()
