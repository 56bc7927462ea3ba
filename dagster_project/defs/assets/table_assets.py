"""Report tables: Markdown and HTML files in the output folder, previewed in the Dagster UI."""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project import settings
from dagster_project.defs.assets.cross_week import (
    FIVE_YEAR_WEEKS,
    ReportInputs,
    cross_week_output,
    output_metadata,
)
from dagster_project.defs.resources import WarehouseResource
from dagster_project.reference.seeds import published_port_rows
from dagster_project.report.catalogue import ReportItem, item
from dagster_project.report.tables import (
    ReportTable,
    growth_table,
    port_table,
    top_share_table,
    usage_table,
)
from dagster_project.warehouse.mart_reads import read_table, read_weeks, service_rows, with_year
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS, MONTHLY_TOTALS_TO

# Build(warehouse, name, title, footer) -> the table as shown.
Build = Callable[[WarehouseResource, str, str, str], ReportTable]


def table_paths(name: str) -> tuple[Path, Path]:
    folder = settings.output_dir() / "tables"
    return folder / f"{name}.md", folder / f"{name}.html"


def write_table(table: ReportTable) -> tuple[Path, Path]:
    markdown_path, html_path = table_paths(table.name)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(table.to_markdown())
    html_path.write_text(table.to_html() + "\n")
    return markdown_path, html_path


def cross_week_table(entry: ReportItem, inputs: ReportInputs, build: Build) -> dg.AssetsDefinition:
    """A table asset built from validated marts, written as Markdown and as an HTML fragment."""

    def render(warehouse: WarehouseResource, footer: str) -> dict[str, Any]:
        table = build(warehouse, entry.name, entry.title, footer)
        markdown_path, html_path = write_table(table)
        return {
            **output_metadata(markdown_path, table.to_markdown()),
            "html_path": dg.MetadataValue.path(str(html_path)),
            "dagster/row_count": len(table.rows),
        }

    return cross_week_output(entry, inputs, "tables", "pandas", render)


def build_usage_table(
    service: str, decimals: int, warehouse: WarehouseResource, name: str, title: str, footer: str
) -> ReportTable:
    summary = service_rows(read_table(warehouse, "usage_summary_by_year"), service)
    return usage_table(name, title, summary, decimals, footer)


def build_port_table(
    service: str,
    port_rows: tuple[tuple[str, str], ...],
    warehouse: WarehouseResource,
    name: str,
    title: str,
    footer: str,
) -> ReportTable:
    usage = service_rows(read_table(warehouse, "port_usage_by_year"), service)
    return port_table(name, title, usage, port_rows, footer)


def build_top_share_table(
    warehouse: WarehouseResource, name: str, title: str, footer: str
) -> ReportTable:
    shares = with_year(read_weeks(warehouse, "top_user_shares", FIVE_YEAR_WEEKS))
    return top_share_table(name, title, shares, footer)


def build_growth_table(
    warehouse: WarehouseResource, name: str, title: str, footer: str
) -> ReportTable:
    return growth_table(
        name,
        title,
        read_table(warehouse, "traffic_growth"),
        read_table(warehouse, "mode_growth"),
        to_month=MONTHLY_TOTALS_TO,
        years=(min(COMPARISON_WEEKS), max(COMPARISON_WEEKS)),
        footer=footer,
    )


TABLE_INPUTS: dict[str, tuple[ReportInputs, Build]] = {
    "table_1_broadband_usage": (
        ReportInputs(FIVE_YEAR_WEEKS, upstream=("usage_summary",)),
        partial(build_usage_table, "broadband", 0),
    ),
    "table_2_mobile_usage": (
        ReportInputs(FIVE_YEAR_WEEKS, upstream=("usage_summary",)),
        partial(build_usage_table, "mobile", 1),
    ),
    "table_3_broadband_ports": (
        ReportInputs(FIVE_YEAR_WEEKS, upstream=("port_usage",)),
        partial(build_port_table, "broadband", published_port_rows("broadband")),
    ),
    "table_4_mobile_ports": (
        ReportInputs(FIVE_YEAR_WEEKS, upstream=("port_usage",)),
        partial(build_port_table, "mobile", published_port_rows("mobile")),
    ),
    "table_top_user_shares": (ReportInputs(FIVE_YEAR_WEEKS), build_top_share_table),
    "table_traffic_growth": (
        ReportInputs(FIVE_YEAR_WEEKS, monthly=True, upstream=("usage_summary",)),
        build_growth_table,
    ),
}

report_tables = [
    cross_week_table(item(name), inputs, build) for name, (inputs, build) in TABLE_INPUTS.items()
]
