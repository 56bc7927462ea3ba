"""The single source of truth for analysis weeks.

One partition is one analysis week: Monday 00:00 to the next Monday 00:00 in the analysis
time zone (Asia/Tokyo unless TRAFFICREPORT_TZ says otherwise).
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.settings import analysis_timezone

FIRST_WEEK = "2019-01-07"

weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=FIRST_WEEK,
    day_offset=1,  # Monday
    timezone=analysis_timezone(),
    fmt="%Y-%m-%d",
)
# Every weekly step reads `context.partition_key` (dbt gets one week's vars; a load replaces
# one week), so a backfill must launch one run per week. dagster-dbt would otherwise default
# its time-partitioned assets to a single run over the whole range.
ONE_WEEK_PER_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)

# The week each year's report compares (late May / early June; 2023 and 2024 are the
# weeks the Vol. 64 report names).
COMPARISON_WEEKS: dict[int, date] = {
    2019: date(2019, 5, 27),
    2020: date(2020, 6, 1),
    2021: date(2021, 5, 31),
    2022: date(2022, 5, 30),
    2023: date(2023, 5, 29),
    2024: date(2024, 6, 3),
}

# Figure 2: four school weeks roughly four months apart since May 2023.
SEASONAL_WEEKS: tuple[date, ...] = (
    date(2023, 5, 29),
    date(2023, 10, 2),
    date(2024, 2, 5),
    date(2024, 6, 3),
)

# Figure 9 starts from a week just before the pandemic.
PRE_PANDEMIC_WEEK = date(2020, 2, 17)

DEFAULT_WEEK = COMPARISON_WEEKS[2024]

# First and last month of the monthly totals (Figure 1 and the growth table).
MONTHLY_TOTALS_FROM = date(2019, 1, 1)
MONTHLY_TOTALS_TO = date(2024, 6, 1)


def default_weeks() -> list[date]:
    """Every week the built-in report needs, oldest first."""
    weeks = {*COMPARISON_WEEKS.values(), *SEASONAL_WEEKS, PRE_PANDEMIC_WEEK}
    return sorted(weeks)


def week_key(week_start: date) -> str:
    return week_start.strftime("%Y-%m-%d")


def week_bounds(partition_key: str, tz: str | None = None) -> tuple[datetime, datetime]:
    """Start (inclusive) and end (exclusive) of a week as aware datetimes in the analysis zone."""
    start_day = date.fromisoformat(partition_key)
    if start_day.weekday() != 0:
        raise ValueError(f"partition key {partition_key!r} is not a Monday")
    zone = ZoneInfo(tz or analysis_timezone())
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=zone)
    end_day = start_day + timedelta(days=7)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)
    return start, end


def week_bounds_utc(partition_key: str, tz: str | None = None) -> tuple[datetime, datetime]:
    """Week bounds as naive UTC datetimes, the form timestamps take in the raw tables."""
    start, end = week_bounds(partition_key, tz)
    utc = ZoneInfo("UTC")
    return (
        start.astimezone(utc).replace(tzinfo=None),
        end.astimezone(utc).replace(tzinfo=None),
    )
