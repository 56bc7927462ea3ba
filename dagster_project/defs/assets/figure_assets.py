"""Report figures: PNG files in the output folder, previewed in the Dagster UI.

Figures 1-12 are cross-week assets: each reads the weeks it compares from the marts (built by
the weekly runs), refuses to draw unless every check on those marts passed for those weeks,
and writes `figures/<name>.png`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd

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
from dagster_project.weeks.reference_weeks import DEFAULT_WEEK, SEASONAL_WEEKS, default_weeks

# Figure 12 reads ipv6_share_by_week, which is built from the weekly mart ipv6_share.
IPV6_UPSTREAM = ("ipv6_share",)


def write_figure(png: bytes, name: str) -> Path:
    path = settings.output_dir() / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def figure_metadata(png: bytes, path: Path) -> dict[str, Any]:
    return output_metadata(path, markdown_image(png, path.stem))


# FigureData(warehouse) -> the frame the figure is drawn from (also exported with the page);
# Plot(frame, title, footnote) -> PNG bytes.
FigureData = Callable[[WarehouseResource], pd.DataFrame]
Plot = Callable[[pd.DataFrame, str, str], bytes]


@dataclass(frozen=True)
class FigureSource:
    """What a figure compares, how its frame is read from the marts and how it is drawn."""

    inputs: ReportInputs
    data: FigureData
    plot: Plot

    def draw(self, warehouse: WarehouseResource, title: str, footnote: str) -> bytes:
        return self.plot(self.data(warehouse), title, footnote)


def cross_week_figure(entry: ReportItem, source: FigureSource) -> dg.AssetsDefinition:
    """A figure asset drawn from validated marts."""

    def render(warehouse: WarehouseResource, footnote: str) -> dict[str, Any]:
        png = source.draw(warehouse, entry.title, footnote)
        return figure_metadata(png, write_figure(png, entry.name))

    return cross_week_output(entry, source.inputs, "figures", "matplotlib", render)


def monthly_data(warehouse: WarehouseResource) -> pd.DataFrame:
    return read_table(warehouse, "monthly_traffic")


def weekday_hourly_data(weeks: tuple[date, ...], warehouse: WarehouseResource) -> pd.DataFrame:
    return service_rows(read_weeks(warehouse, "weekday_hourly_traffic", weeks), "broadband")


def density_data(
    service: str, weeks: tuple[date, ...], warehouse: WarehouseResource
) -> pd.DataFrame:
    return with_year(service_rows(read_weeks(warehouse, "usage_distribution", weeks), service))


def scatter_data(service: str, warehouse: WarehouseResource) -> pd.DataFrame:
    return service_rows(read_weeks(warehouse, "user_sample", [DEFAULT_WEEK]), service)


def plot_scatter(sample: pd.DataFrame, title: str, note: str) -> bytes:
    return figures.scatter_figure(sample, f"{title}\nweek of {DEFAULT_WEEK}", note)


def port_week_data(service: str, warehouse: WarehouseResource) -> pd.DataFrame:
    hourly = service_rows(read_weeks(warehouse, "hourly_port_traffic", YEAR_ON_YEAR_WEEKS), service)
    return hourly[hourly["bucket"].isin(SERVICE_BUCKETS[service])]


def weekday_hourly(weeks: tuple[date, ...], directions: tuple[str, ...]) -> FigureSource:
    return FigureSource(
        ReportInputs(weeks),
        partial(weekday_hourly_data, weeks),
        partial(figures.weekday_hourly_figure, directions=directions),
    )


def density(service: str, weeks: tuple[date, ...]) -> FigureSource:
    return FigureSource(
        ReportInputs(weeks), partial(density_data, service, weeks), figures.density_figure
    )


def scatter(service: str) -> FigureSource:
    return FigureSource(ReportInputs((DEFAULT_WEEK,)), partial(scatter_data, service), plot_scatter)


def port_week(service: str) -> FigureSource:
    return FigureSource(
        ReportInputs(YEAR_ON_YEAR_WEEKS),
        partial(port_week_data, service),
        figures.hourly_port_figure,
    )


def ipv6_share_data(warehouse: WarehouseResource) -> pd.DataFrame:
    """Every week in ipv6_share_by_week; fails unless each week read passed its checks."""
    shares = read_table(warehouse, "ipv6_share_by_week")
    weeks = tuple(sorted(set(pd.to_datetime(shares["week_start"]).dt.date)))
    ReportInputs(weeks, upstream=IPV6_UPSTREAM).validated(("ipv6_share_by_week",))
    return shares


FIGURE_INPUTS: dict[str, FigureSource] = {
    "figure_01_monthly_traffic": FigureSource(
        ReportInputs(monthly=True), monthly_data, figures.monthly_traffic_figure
    ),
    "figure_02_weekday_hourly_recent": weekday_hourly(SEASONAL_WEEKS, ("OUT", "IN")),
    "figure_03_usage_density_broadband": density("broadband", YEAR_ON_YEAR_WEEKS),
    "figure_04_usage_density_mobile": density("mobile", YEAR_ON_YEAR_WEEKS),
    "figure_05_user_scatter_broadband": scatter("broadband"),
    "figure_06_user_scatter_mobile": scatter("mobile"),
    "figure_07_port_week_broadband": port_week("broadband"),
    "figure_08_port_week_mobile": port_week("mobile"),
    "figure_09_weekday_hourly_five_years": weekday_hourly(PANDEMIC_ERA_WEEKS, ("OUT", "IN")),
    "figure_10_weekday_uploads_five_years": weekday_hourly(PANDEMIC_ERA_WEEKS, ("IN",)),
    "figure_11_usage_density_five_years": density("broadband", FIVE_YEAR_WEEKS),
    # The default weeks in the asset graph and footnote; ipv6_share_data gates every week read.
    "figure_12_ipv6_share": FigureSource(
        ReportInputs(tuple(default_weeks()), upstream=IPV6_UPSTREAM),
        ipv6_share_data,
        figures.ipv6_share_figure,
    ),
}

report_figures = [cross_week_figure(item(name), source) for name, source in FIGURE_INPUTS.items()]


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
