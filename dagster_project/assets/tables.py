"""Report tables: Markdown and HTML files in the output folder, previewed in the Dagster UI."""

from collections.abc import Callable
from functools import partial
from pathlib import Path

import dagster as dg
import pandas as pd

from dagster_project import settings, tables
from dagster_project.assets.report_inputs import (
    CROSS_WEEK_TAGS,
    FIVE_YEAR_WEEKS,
    ReportInputs,
    output_metadata,
)
from dagster_project.catalogue import ReportItem, item
from dagster_project.marts import read_table, read_weeks, with_year
from dagster_project.partitions import COMPARISON_WEEKS, MONTHLY_TOTALS_TO
from dagster_project.resources import WAREHOUSE_POOL, WarehouseResource

# Build(warehouse, name, title, footer) -> the table as shown.
Build = Callable[[WarehouseResource, str, str, str], tables.ReportTable]


def table_paths(name: str) -> tuple[Path, Path]:
    folder = settings.output_dir() / "tables"
    return folder / f"{name}.md", folder / f"{name}.html"


def write_table(table: tables.ReportTable) -> tuple[Path, Path]:
    markdown_path, html_path = table_paths(table.name)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(table.to_markdown())
    html_path.write_text(table.to_html() + "\n")
    return markdown_path, html_path


def cross_week_table(entry: ReportItem, inputs: ReportInputs, build: Build) -> dg.AssetsDefinition:
    """A table asset built from validated marts, written as Markdown and as an HTML fragment."""

    @dg.asset(
        name=entry.name,
        group_name="tables",
        deps=list(entry.marts),
        kinds={"pandas"},
        tags=CROSS_WEEK_TAGS,
        pool=WAREHOUSE_POOL,
        description=f"{entry.title}. {entry.caption}",
    )
    def _table(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        footer = inputs.validated_note(context, entry.marts)
        table = build(warehouse, entry.name, entry.title, footer)
        markdown_path, html_path = write_table(table)
        return dg.MaterializeResult(
            metadata={
                **output_metadata(markdown_path, table.to_markdown()),
                "html_path": dg.MetadataValue.path(str(html_path)),
                "dagster/row_count": len(table.rows),
            }
        )

    return _table


def _service(frame: pd.DataFrame, service: str) -> pd.DataFrame:
    return frame[frame["service"] == service]


def build_usage_table(
    service: str, decimals: int, warehouse: WarehouseResource, name: str, title: str, footer: str
) -> tables.ReportTable:
    summary = _service(read_table(warehouse, "usage_summary_by_year"), service)
    return tables.usage_table(name, title, summary, decimals, footer)


def build_port_table(
    service: str,
    port_rows: tuple[tuple[str, str], ...],
    warehouse: WarehouseResource,
    name: str,
    title: str,
    footer: str,
) -> tables.ReportTable:
    usage = _service(read_table(warehouse, "port_usage_by_year"), service)
    return tables.port_table(name, title, usage, port_rows, footer)


def build_top_share_table(
    warehouse: WarehouseResource, name: str, title: str, footer: str
) -> tables.ReportTable:
    shares = with_year(read_weeks(warehouse, "top_user_shares", FIVE_YEAR_WEEKS))
    return tables.top_share_table(name, title, shares, footer)


def build_growth_table(
    warehouse: WarehouseResource, name: str, title: str, footer: str
) -> tables.ReportTable:
    return tables.growth_table(
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
        partial(build_port_table, "broadband", tables.BROADBAND_PORT_ROWS),
    ),
    "table_4_mobile_ports": (
        ReportInputs(FIVE_YEAR_WEEKS, upstream=("port_usage",)),
        partial(build_port_table, "mobile", tables.MOBILE_PORT_ROWS),
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
