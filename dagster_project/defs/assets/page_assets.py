"""The report pages: the full report of the latest comparison week, and a page per week.

`weekly_report_page` is a cross-week asset, like the figures it embeds: the default run
materializes every default week (one `weekly_report` run each), then the cross-week assets,
which end with this page for the latest comparison week (`reference_weeks.DEFAULT_WEEK`).

`week_report_page` is weekly: every `weekly_report` run (schedule, backfill, CLI) ends with
the page of its own week, drawn from that week's marts alone, so a week of real collector
files has a report without the comparison weeks.
"""

import html
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

from dagster_project import settings
from dagster_project.defs import check_history
from dagster_project.defs.assets.cross_week import CROSS_WEEK_TAGS, ReportInputs
from dagster_project.defs.assets.figure_assets import FIGURE_INPUTS
from dagster_project.defs.assets.table_assets import TABLE_INPUTS, table_paths
from dagster_project.defs.partitions import ONE_WEEK_PER_RUN, partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.report import exports, tables
from dagster_project.report.catalogue import FIGURES, TABLES, ReportItem
from dagster_project.report.pages import (
    Provenance,
    ReportContent,
    provenance_facts,
    render_report,
    report_summary,
)
from dagster_project.report.week_page import WEEK_MARTS, week_content, week_exports
from dagster_project.settings import analysis_timezone
from dagster_project.validation import verdicts
from dagster_project.validation.verdicts import Verdict
from dagster_project.warehouse.mart_reads import read_week, rejected_records, sampling_intervals
from dagster_project.weeks.reference_weeks import DEFAULT_WEEK

# The comparison of computed with published statistics (written by the calibration asset).
CALIBRATION_ASSET = "calibration"
CALIBRATION_FILE = "calibration.csv"

ITEM_INPUTS: dict[str, ReportInputs] = {
    **{name: source.inputs for name, source in FIGURE_INPUTS.items()},
    **{name: inputs for name, (inputs, _) in TABLE_INPUTS.items()},
}
REPORTED_FIGURES = tuple(entry for entry in FIGURES if entry.name in ITEM_INPUTS)
REPORTED_TABLES = tuple(entry for entry in TABLES if entry.name in ITEM_INPUTS)


def _calibration_html(provenance: Provenance) -> str | None:
    """For synthetic data, how close the pipeline's results are to the published report."""
    if not provenance.synthetic:
        return None
    path = settings.output_dir() / "tables" / CALIBRATION_FILE
    if not path.exists():
        return (
            '<p class="note">The calibration comparison has not been materialized '
            f"(asset <code>{CALIBRATION_ASSET}</code>).</p>"
        )
    table = tables.calibration_table("calibration", pd.read_csv(path))
    return f"<p>{html.escape(table.title)}.</p>{table.to_html()}"


def _read_output(entry: ReportItem) -> bytes | str:
    if entry.kind == "figure":
        return (settings.output_dir() / "figures" / f"{entry.name}.png").read_bytes()
    return table_paths(entry.name)[1].read_text()


def _all_checks() -> tuple[Verdict, ...]:
    statuses: dict[tuple[str, str, str], Verdict] = {}
    for entry in (*REPORTED_FIGURES, *REPORTED_TABLES):
        for status in ITEM_INPUTS[entry.name].check_statuses(entry.marts):
            statuses[(status.asset, status.week, status.check)] = status
    return tuple(statuses[key] for key in sorted(statuses))


def _provenance(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Provenance:
    weeks = sorted({week for inputs in ITEM_INPUTS.values() for week in inputs.weeks})
    return Provenance(
        time_zone=analysis_timezone(),
        sampling_intervals=sampling_intervals(warehouse, weeks),
        inputs=check_history.inputs_provenance(context.instance, weeks, monthly=True),
        checks=_all_checks(),
        rejected=rejected_records(warehouse, weeks),
    )


def write_page(content: ReportContent, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(content))
    return path


def write_exports(items: list[exports.ExportItem], page: Path) -> exports.Exports:
    """The page's tables and figure data as files in `<week>-data/` next to it."""
    return exports.write_exports(exports.export_folder(page), page.name, items)


def page_metadata(content: ReportContent, path: Path, written: exports.Exports) -> dict[str, Any]:
    """What a report page holds and what it was computed from, shown on its materialization."""
    return {
        "path": dg.MetadataValue.path(str(path)),
        "summary": dg.MetadataValue.md(report_summary(content)),
        "figures": len(content.figures),
        "tables": len(content.tables),
        "exports": dg.MetadataValue.path(str(written.index)),
        "export_files": len(written.files),
        **provenance_facts(content.provenance),
    }


def report_exports(warehouse: WarehouseResource) -> list[exports.ExportItem]:
    """Every table of the report as shown and the frame every figure is drawn from, read from
    the same marts as the figure and table assets."""
    return [
        *(
            exports.ExportItem(entry, FIGURE_INPUTS[entry.name].data(warehouse))
            for entry in REPORTED_FIGURES
        ),
        *(
            exports.table_export(
                entry, TABLE_INPUTS[entry.name][1](warehouse, entry.name, entry.title, "")
            )
            for entry in REPORTED_TABLES
        ),
    ]


@dg.asset(
    group_name="report",
    deps=[entry.name for entry in (*REPORTED_FIGURES, *REPORTED_TABLES)] + [CALIBRATION_ASSET],
    kinds={"html"},
    tags=CROSS_WEEK_TAGS,
    pool=WAREHOUSE_POOL,
    description=(
        f"Self-contained HTML report for the week of {DEFAULT_WEEK}: every figure and table, "
        "captions, provenance and validation status (report/<week>.html), with the data of each "
        "table and figure as files in report/<week>-data/."
    ),
)
def weekly_report_page(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    provenance = _provenance(context, warehouse)
    content = ReportContent(
        week=DEFAULT_WEEK.isoformat(),
        figures=tuple((entry, _read_output(entry)) for entry in REPORTED_FIGURES),
        tables=tuple((entry, _read_output(entry)) for entry in REPORTED_TABLES),
        provenance=provenance,
        calibration_html=_calibration_html(provenance),
    )
    path = settings.output_dir() / "report" / f"{DEFAULT_WEEK.isoformat()}.html"
    write_page(content, path)
    written = write_exports(report_exports(warehouse), path)
    return dg.MaterializeResult(metadata=page_metadata(content, path, written))


def week_checks(week: date) -> tuple[Verdict, ...]:
    """Every check of the week, warnings included; refuses to draw if one failed or did not
    run."""
    statuses = check_history.week_statuses(week)
    verdicts.require_drawable(statuses)
    return statuses


def week_page_path(week: str) -> Path:
    return settings.output_dir() / "report" / "weeks" / f"{week}.html"


@dg.asset(
    group_name="report",
    deps=list(WEEK_MARTS),
    partitions_def=weekly_partitions,
    backfill_policy=ONE_WEEK_PER_RUN,
    kinds={"html"},
    tags={"partitioned": "weekly"},
    pool=WAREHOUSE_POOL,
    description=(
        "Self-contained HTML page of one analysis week, drawn from that week's marts: usage "
        "summary, top-user and port shares, usage density, IN/OUT scatter, hourly port "
        "traffic and weekday hours, with provenance and validation status "
        "(report/weeks/<week>.html); the data of each table and figure in "
        "report/weeks/<week>-data/."
    ),
)
def week_report_page(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    week = partition_week(context)
    inputs = ReportInputs((week.start,))
    provenance = Provenance(
        time_zone=analysis_timezone(),
        sampling_intervals=sampling_intervals(warehouse, [week.start]),
        inputs=inputs.provenance(context.instance),
        checks=week_checks(week.start),
        rejected=rejected_records(warehouse, [week.start]),
    )
    marts = {mart: read_week(warehouse, mart, week.start) for mart in WEEK_MARTS}
    content = week_content(week.key, marts, provenance, check_history.data_note(provenance.inputs))
    path = write_page(content, week_page_path(week.key))
    written = write_exports(week_exports(week.key, marts), path)
    return dg.MaterializeResult(metadata=page_metadata(content, path, written))
