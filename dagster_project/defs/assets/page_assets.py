"""The report pages: the full report of the latest comparison week, and a page per week.

`weekly_report_page` is a cross-week asset, like the figures it embeds: the default run
materializes every default week (one `weekly_report` run each), then the cross-week assets,
which end with this page for the latest comparison week (`reference_weeks.DEFAULT_WEEK`).
It embeds the figures the figure assets drew and shows the tables built from the same marts
as the table assets, which its written findings quote.

`week_report_page` is weekly: every `weekly_report` run (schedule, backfill, CLI) ends with
the page of its own week, drawn from that week's marts alone, so a week of real collector
files has a report without the comparison weeks.

Each page is written as HTML and printed to a PDF next to it (report/pdf.py).
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
from dagster_project.defs.assets.table_assets import TABLE_INPUTS
from dagster_project.defs.partitions import ONE_WEEK_PER_RUN, partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.report import exports, tables
from dagster_project.report.catalogue import FIGURES, PAGE_TABLES, TABLES, ReportItem
from dagster_project.report.pages import (
    Provenance,
    ReportContent,
    provenance_facts,
    render_report,
    report_summary,
)
from dagster_project.report.pdf import write_pdf
from dagster_project.report.peak_hours import peak_hour_table
from dagster_project.report.week_page import WEEK_MARTS, week_content, week_exports
from dagster_project.report.year_page import YearPage, year_content
from dagster_project.settings import analysis_timezone
from dagster_project.validation import verdicts
from dagster_project.validation.verdicts import Verdict
from dagster_project.warehouse.mart_reads import (
    read_week,
    rejected_records,
    sampling_intervals,
    with_year,
)
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS, DEFAULT_WEEK, MONTHLY_TOTALS_TO

# The comparison of computed with published statistics (written by the calibration asset).
CALIBRATION_ASSET = "calibration"
CALIBRATION_FILE = "calibration.csv"

ITEM_INPUTS: dict[str, ReportInputs] = {
    **{name: source.inputs for name, source in FIGURE_INPUTS.items()},
    **{name: inputs for name, (inputs, _) in TABLE_INPUTS.items()},
}
REPORTED_FIGURES = tuple(entry for entry in FIGURES if entry.name in ITEM_INPUTS)
REPORTED_TABLES = tuple(entry for entry in TABLES if entry.name in ITEM_INPUTS)
# The page's peak-hour table sums up the hourly totals Figures 7 and 8 are drawn from.
PEAK_HOUR_FIGURES = ("figure_07_port_week_broadband", "figure_08_port_week_mobile")


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


def _read_figure(entry: ReportItem) -> bytes:
    return (settings.output_dir() / "figures" / f"{entry.name}.png").read_bytes()


def _data_note(context: dg.AssetExecutionContext, name: str) -> str:
    """The footnote of an item: which kind of data its inputs are, as its asset writes it."""
    return check_history.data_note(ITEM_INPUTS[name].provenance(context.instance))


def _build_table(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, entry: ReportItem
) -> tables.ReportTable:
    _, build = TABLE_INPUTS[entry.name]
    return build(warehouse, entry.name, entry.title, _data_note(context, entry.name))


def report_tables(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    figure_frames: dict[str, pd.DataFrame],
) -> tuple[tuple[ReportItem, tables.ReportTable], ...]:
    """Every table of the page as shown: the table assets' tables, built from the same marts,
    and the peak hours of the frames of Figures 7 and 8."""
    (peak_hours,) = PAGE_TABLES
    hourly = pd.concat([figure_frames[name] for name in PEAK_HOUR_FIGURES], ignore_index=True)
    return (
        *((entry, _build_table(context, warehouse, entry)) for entry in REPORTED_TABLES),
        (
            peak_hours,
            peak_hour_table(
                peak_hours.name,
                peak_hours.title,
                with_year(hourly),
                _data_note(context, PEAK_HOUR_FIGURES[0]),
            ),
        ),
    )


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
    """The page as HTML at `path` and printed to the PDF next to it, dated its week."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(content))
    write_pdf(path, path.with_suffix(".pdf"), date.fromisoformat(content.week))
    return path


def write_exports(items: list[exports.ExportItem], page: Path) -> exports.Exports:
    """The page's tables and figure data as files in `<week>-data/` next to it."""
    return exports.write_exports(exports.export_folder(page), page.name, items)


def page_metadata(content: ReportContent, path: Path, written: exports.Exports) -> dict[str, Any]:
    """What a report page holds and what it was computed from, shown on its materialization."""
    return {
        "path": dg.MetadataValue.path(str(path)),
        "pdf": dg.MetadataValue.path(str(path.with_suffix(".pdf"))),
        "summary": dg.MetadataValue.md(report_summary(content)),
        "figures": len(content.figures),
        "tables": len(content.tables),
        "exports": dg.MetadataValue.path(str(written.index)),
        "export_files": len(written.files),
        **provenance_facts(content.provenance),
    }


def report_exports(
    figure_frames: dict[str, pd.DataFrame],
    shown_tables: tuple[tuple[ReportItem, tables.ReportTable], ...],
) -> list[exports.ExportItem]:
    """Every table of the report as shown and the frame every figure is drawn from."""
    return [
        *(exports.ExportItem(entry, figure_frames[entry.name]) for entry in REPORTED_FIGURES),
        *(exports.table_export(entry, table) for entry, table in shown_tables),
    ]


@dg.asset(
    group_name="report",
    deps=[entry.name for entry in (*REPORTED_FIGURES, *REPORTED_TABLES)] + [CALIBRATION_ASSET],
    kinds={"html"},
    tags=CROSS_WEEK_TAGS,
    pool=WAREHOUSE_POOL,
    description=(
        f"Self-contained HTML report for the week of {DEFAULT_WEEK}, organised as the "
        "published report: numbered sections of findings written from the tables, every figure "
        "and table, calibration and provenance in appendices (report/<week>.html), printed to "
        "report/<week>.pdf, with the data of each table and figure in report/<week>-data/."
    ),
)
def weekly_report_page(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    provenance = _provenance(context, warehouse)
    frames = {entry.name: FIGURE_INPUTS[entry.name].data(warehouse) for entry in REPORTED_FIGURES}
    shown_tables = report_tables(context, warehouse, frames)
    page = YearPage(
        week=DEFAULT_WEEK,
        first_week=min(COMPARISON_WEEKS.values()),
        to_month=MONTHLY_TOTALS_TO,
        time_zone=provenance.time_zone,
    )
    content = year_content(
        page,
        figures=tuple((entry, _read_figure(entry)) for entry in REPORTED_FIGURES),
        tables=shown_tables,
        provenance=provenance,
        calibration_html=_calibration_html(provenance),
    )
    path = write_page(content, settings.output_dir() / "report" / f"{page.week.isoformat()}.html")
    written = write_exports(report_exports(frames, shown_tables), path)
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
        "Self-contained HTML page of one analysis week, drawn from that week's marts, in the "
        "report's sections with findings written from its tables: usage summary, top-user and "
        "port shares, peak hours, usage density, IN/OUT scatter, hourly port traffic and "
        "weekday hours, with provenance and validation status (report/weeks/<week>.html), "
        "printed to report/weeks/<week>.pdf; the data of each table and figure in "
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
