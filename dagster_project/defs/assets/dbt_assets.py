"""dbt models as Dagster assets: weekly models per partition, cross-week models unpartitioned."""

import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.dbt_project import dbt_project, translator
from dagster_project.defs.partitions import ONE_WEEK_PER_RUN, partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL


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
    dbt_vars = json.dumps(partition_week(context).dbt_vars())
    build = dbt.cli(["build", "--vars", dbt_vars], context=context)
    # Row counts and column types are read once dbt has exited (DuckDB has one writer).
    yield from build.stream().fetch_row_counts().fetch_column_metadata(with_column_lineage=False)


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
    build = dbt.cli(["build"], context=context)
    yield from build.stream().fetch_row_counts().fetch_column_metadata(with_column_lineage=False)
