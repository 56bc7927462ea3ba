"""The trafficreport code location."""

import dagster as dg

from dagster_project.assets import calibration, checks, dbt, figures, raw, report, tables
from dagster_project.jobs import cross_week_job, weekly_report_job
from dagster_project.resources import build_resources
from dagster_project.schedules import weekly_report_schedule
from dagster_project.sensors import cross_week_after_weekly, inbox_sensor

asset_modules = [raw, dbt, figures, tables, report, calibration]

defs = dg.Definitions(
    assets=dg.load_assets_from_modules(asset_modules),
    asset_checks=dg.load_asset_checks_from_modules([checks]),
    jobs=[weekly_report_job, cross_week_job],
    schedules=[weekly_report_schedule],
    sensors=[cross_week_after_weekly, inbox_sensor],
    resources=build_resources(),
    # Every step writes or reads the one DuckDB file: run steps one after another.
    executor=dg.in_process_executor,
)
