"""The trafficreport code location: the Dagster layer in `defs/` over the Dagster-free core."""

import dagster as dg

from dagster_project.defs import checks
from dagster_project.defs.assets import (
    calibration_asset,
    dbt_assets,
    figure_assets,
    page_assets,
    raw_assets,
    table_assets,
)
from dagster_project.defs.jobs import cross_week_job, weekly_report_job
from dagster_project.defs.resources import build_resources
from dagster_project.defs.schedules import weekly_report_schedule
from dagster_project.defs.sensors import cross_week_after_weekly, dead_run_monitor, inbox_sensor

asset_modules = [
    raw_assets,
    dbt_assets,
    figure_assets,
    table_assets,
    page_assets,
    calibration_asset,
]

defs = dg.Definitions(
    assets=dg.load_assets_from_modules(asset_modules),
    asset_checks=dg.load_asset_checks_from_modules([checks]),
    jobs=[weekly_report_job, cross_week_job],
    schedules=[weekly_report_schedule],
    sensors=[cross_week_after_weekly, inbox_sensor, dead_run_monitor],
    resources=build_resources(),
    # Every step writes or reads the one DuckDB file: run steps one after another.
    executor=dg.in_process_executor,
)
