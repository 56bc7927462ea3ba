"""dbt models as Dagster assets: weekly models per partition, cross-week models unpartitioned."""

import json
from datetime import timedelta

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.dbt_project import dbt_project, translator
from dagster_project.partitions import COMPARISON_WEEKS, ONE_WEEK_PER_RUN, weekly_partitions
from dagster_project.resources import WAREHOUSE_POOL
from dagster_project.settings import analysis_timezone


def week_vars(partition_key: str) -> dict[str, str]:
    """dbt vars for one analysis week: local dates [week_start, week_end)."""
    first_day = weekly_partitions.time_window_for_partition_key(partition_key).start.date()
    return {
        "week_start": first_day.isoformat(),
        "week_end": (first_day + timedelta(days=7)).isoformat(),
        "analysis_timezone": analysis_timezone(),
    }


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=translator,
    select="tag:weekly",
    partitions_def=weekly_partitions,
    backfill_policy=ONE_WEEK_PER_RUN,
    name="weekly_dbt_models",
    pool=WAREHOUSE_POOL,
)
def weekly_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Build and test the weekly models for the partition's week (delete+insert of that week)."""
    dbt_vars = json.dumps(week_vars(context.partition_key))
    yield from dbt.cli(["build", "--vars", dbt_vars], context=context).stream()


def cross_week_vars() -> dict[str, dict[str, str]]:
    """dbt vars for the cross-week models: the week each report year compares."""
    return {
        "comparison_weeks": {str(year): week.isoformat() for year, week in COMPARISON_WEEKS.items()}
    }


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=translator,
    select="tag:cross_week",
    name="cross_week_dbt_models",
    pool=WAREHOUSE_POOL,
)
def cross_week_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Rebuild the multi-year tables from every week in the warehouse."""
    dbt_vars = json.dumps(cross_week_vars())
    yield from dbt.cli(["build", "--vars", dbt_vars], context=context).stream()
