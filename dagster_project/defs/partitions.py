"""The weekly partitions: one partition is one analysis week (`weeks.AnalysisWeek`)."""

import dagster as dg

from dagster_project.settings import analysis_timezone
from dagster_project.weeks.analysis_week import FIRST_WEEK, AnalysisWeek

weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=FIRST_WEEK.isoformat(),
    day_offset=1,  # Monday
    timezone=analysis_timezone(),
    fmt="%Y-%m-%d",
)
# Every weekly step reads its one week (dbt gets one week in its environment; a load replaces
# one week), so a backfill must launch one run per week. dagster-dbt would otherwise default its
# time-partitioned assets to a single run over the whole range.
ONE_WEEK_PER_RUN = dg.BackfillPolicy.multi_run(max_partitions_per_run=1)


def partition_week(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> AnalysisWeek:
    """The analysis week of the running partition, built once from its key."""
    return AnalysisWeek.from_key(context.partition_key)
