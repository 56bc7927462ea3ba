"""Report figures: PNG files in the output folder, previewed in the Dagster UI.

Figures 1-11 are cross-week assets: each reads the weeks it compares from the marts (built by
the weekly runs), refuses to draw unless every check on those marts passed for those weeks,
and writes `figures/<name>.png`.
"""

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project import settings
from dagster_project.defs import check_history
from dagster_project.defs.assets.cross_week import (
    FIVE_YEAR_WEEKS,
    PANDEMIC_ERA_WEEKS,
    YEAR_ON_YEAR_WEEKS,
    ReportInputs,
    cross_week_output,
    markdown_image,
    output_metadata,
)
from dagster_project.defs.partitions import ONE_WEEK_PER_RUN, partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.report import figures
from dagster_project.report.catalogue import ReportItem, item
from dagster_project.report.figures.port_charts import SERVICE_BUCKETS
from dagster_project.warehouse.mart_reads import (
    read_table,
    read_week,
    read_weeks,
    service_rows,
    with_year,
)
from dagster_project.weeks.reference_weeks import DEFAULT_WEEK, SEASONAL_WEEKS


def write_figure(png: bytes, name: str) -> Path:
    path = settings.output_dir() / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def figure_metadata(png: bytes, path: Path) -> dict[str, Any]:
    return output_metadata(path, markdown_image(png, path.stem))


Draw = Callable[[WarehouseResource, str, str], bytes]


def cross_week_figure(entry: ReportItem, inputs: ReportInputs, draw: Draw) -> dg.AssetsDefinition:
    """A figure asset drawn from validated marts; `draw(warehouse, title, footnote)`."""

    def render(warehouse: WarehouseResource, footnote: str) -> dict[str, Any]:
        png = draw(warehouse, entry.title, footnote)
        return figure_metadata(png, write_figure(png, entry.name))

    return cross_week_output(entry, inputs, "figures", "matplotlib", render)


def draw_monthly(warehouse: WarehouseResource, title: str, note: str) -> bytes:
    return figures.monthly_traffic_figure(read_table(warehouse, "monthly_traffic"), title, note)


def draw_weekday_hourly(
    weeks: tuple[date, ...],
    directions: tuple[str, ...],
    warehouse: WarehouseResource,
    title: str,
    note: str,
) -> bytes:
    hourly = service_rows(read_weeks(warehouse, "weekday_hourly_traffic", weeks), "broadband")
    return figures.weekday_hourly_figure(hourly, title, note, directions)


def draw_density(
    service: str, weeks: tuple[date, ...], warehouse: WarehouseResource, title: str, note: str
) -> bytes:
    distribution = service_rows(read_weeks(warehouse, "usage_distribution", weeks), service)
    return figures.density_figure(with_year(distribution), title, note)


def draw_scatter(service: str, warehouse: WarehouseResource, title: str, note: str) -> bytes:
    sample = service_rows(read_weeks(warehouse, "user_sample", [DEFAULT_WEEK]), service)
    return figures.scatter_figure(sample, f"{title}\nweek of {DEFAULT_WEEK}", note)


def draw_port_week(service: str, warehouse: WarehouseResource, title: str, note: str) -> bytes:
    hourly = service_rows(read_weeks(warehouse, "hourly_port_traffic", YEAR_ON_YEAR_WEEKS), service)
    buckets = SERVICE_BUCKETS[service]
    return figures.hourly_port_figure(hourly[hourly["bucket"].isin(buckets)], title, note)


FIGURE_INPUTS: dict[str, tuple[ReportInputs, Draw]] = {
    "figure_01_monthly_traffic": (ReportInputs(monthly=True), draw_monthly),
    "figure_02_weekday_hourly_recent": (
        ReportInputs(SEASONAL_WEEKS),
        partial(draw_weekday_hourly, SEASONAL_WEEKS, ("OUT", "IN")),
    ),
    "figure_03_usage_density_broadband": (
        ReportInputs(YEAR_ON_YEAR_WEEKS),
        partial(draw_density, "broadband", YEAR_ON_YEAR_WEEKS),
    ),
    "figure_04_usage_density_mobile": (
        ReportInputs(YEAR_ON_YEAR_WEEKS),
        partial(draw_density, "mobile", YEAR_ON_YEAR_WEEKS),
    ),
    "figure_05_user_scatter_broadband": (
        ReportInputs((DEFAULT_WEEK,)),
        partial(draw_scatter, "broadband"),
    ),
    "figure_06_user_scatter_mobile": (
        ReportInputs((DEFAULT_WEEK,)),
        partial(draw_scatter, "mobile"),
    ),
    "figure_07_port_week_broadband": (
        ReportInputs(YEAR_ON_YEAR_WEEKS),
        partial(draw_port_week, "broadband"),
    ),
    "figure_08_port_week_mobile": (
        ReportInputs(YEAR_ON_YEAR_WEEKS),
        partial(draw_port_week, "mobile"),
    ),
    "figure_09_weekday_hourly_five_years": (
        ReportInputs(PANDEMIC_ERA_WEEKS),
        partial(draw_weekday_hourly, PANDEMIC_ERA_WEEKS, ("OUT", "IN")),
    ),
    "figure_10_weekday_uploads_five_years": (
        ReportInputs(PANDEMIC_ERA_WEEKS),
        partial(draw_weekday_hourly, PANDEMIC_ERA_WEEKS, ("IN",)),
    ),
    "figure_11_usage_density_five_years": (
        ReportInputs(FIVE_YEAR_WEEKS),
        partial(draw_density, "broadband", FIVE_YEAR_WEEKS),
    ),
}

report_figures = [
    cross_week_figure(item(name), inputs, draw) for name, (inputs, draw) in FIGURE_INPUTS.items()
]


@dg.asset(
    group_name="figures",
    deps=["port_usage"],
    partitions_def=weekly_partitions,
    backfill_policy=ONE_WEEK_PER_RUN,
    kinds={"matplotlib"},
    tags={"partitioned": "weekly"},
    pool=WAREHOUSE_POOL,
    description="Share of the week's bytes by protocol and port (the Tables 3 and 4 view).",
)
def port_share_chart(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    week = partition_week(context)
    port_usage = read_week(warehouse, "port_usage", week.start)
    broadband = port_usage[port_usage["service"] == "broadband"]
    note = check_history.data_note(
        check_history.inputs_provenance(context.instance, [week.start], False)
    )
    png = figures.port_share_figure(
        broadband,
        title=f"Broadband usage by port, week of {week}",
        footnote=f"Computed from sampled flow records (PPPoE). {note}",
    )
    path = write_figure(png, f"port_shares_{week}")
    return dg.MaterializeResult(metadata=figure_metadata(png, path))
