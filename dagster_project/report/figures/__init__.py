"""Drawing the report's figures from mart rows: pure functions from DataFrames to PNG bytes."""

from dagster_project.report.figures.ipv6_charts import ipv6_share_figure
from dagster_project.report.figures.port_charts import hourly_port_figure, port_share_figure
from dagster_project.report.figures.rhythm_charts import (
    monthly_traffic_figure,
    weekday_hourly_figure,
)
from dagster_project.report.figures.usage_charts import density_figure, scatter_figure

__all__ = [
    "density_figure",
    "hourly_port_figure",
    "ipv6_share_figure",
    "monthly_traffic_figure",
    "port_share_figure",
    "scatter_figure",
    "weekday_hourly_figure",
]
