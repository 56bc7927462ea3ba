"""The weekly schedule asks, early Monday in Tokyo, for the week that just ended."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from dagster_project.defs.schedules import weekly_report_schedule

TOKYO = ZoneInfo("Asia/Tokyo")


def requested_partitions(scheduled_at: datetime) -> list[str]:
    context = dg.build_schedule_context(scheduled_execution_time=scheduled_at)
    data = weekly_report_schedule.evaluate_tick(context)
    return [request.partition_key for request in data.run_requests or []]


def test_runs_mondays_at_three_in_the_analysis_zone():
    assert weekly_report_schedule.cron_schedule == "0 3 * * 1"
    assert weekly_report_schedule.execution_timezone == "Asia/Tokyo"
    assert weekly_report_schedule.job_name == "weekly_report"


@pytest.mark.parametrize(
    ("scheduled_at", "week"),
    [
        (datetime(2024, 6, 10, 3, 0, tzinfo=TOKYO), "2024-06-03"),
        # Sunday 18:00 UTC is already Monday 03:00 in Tokyo.
        (datetime(2024, 6, 9, 18, 0, tzinfo=ZoneInfo("UTC")), "2024-06-03"),
        # The first Monday of a year asks for the last week of the year before.
        (datetime(2024, 1, 1, 3, 0, tzinfo=TOKYO), "2023-12-25"),
    ],
)
def test_tick_requests_the_week_that_just_ended(scheduled_at: datetime, week: str):
    assert requested_partitions(scheduled_at) == [week]
