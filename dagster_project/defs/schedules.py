"""Weekly materialization of the week that just ended."""

import dagster as dg

from dagster_project.defs.jobs import weekly_report_job
from dagster_project.settings import analysis_timezone

# Early Monday in the analysis zone, once the previous week's flows have all arrived.
SCHEDULE_HOUR = 3

weekly_report_schedule = dg.build_schedule_from_partitioned_job(
    weekly_report_job,
    hour_of_day=SCHEDULE_HOUR,
    minute_of_hour=0,
    day_of_week=1,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=f"Materializes the week that just ended, Mondays {SCHEDULE_HOUR:02d}:00 "
    f"{analysis_timezone()}; the cross_week_after_weekly sensor then rebuilds the "
    "cross-week assets.",
)
