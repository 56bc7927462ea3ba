"""dbt models as Dagster assets: weekly models per partition, cross-week models unpartitioned."""

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from dagster_project.defs.dbt_project import dbt_project, translator
from dagster_project.defs.partitions import ONE_WEEK_PER_RUN, partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL, SourcesResource, WarehouseResource
from dagster_project.validation import verdicts
from dagster_project.warehouse import address_retention, week_status


def with_verdicts(events: Iterator[Any], week: str, run_id: str) -> Iterator[Any]:
    """Pass dbt's events on, recording the verdict of every dbt test among them."""
    for event in events:
        if isinstance(event, dg.AssetCheckResult) and event.asset_key is not None:
            warns = event.severity == dg.AssetCheckSeverity.WARN
            status = verdicts.status_of(event.passed, blocking=not warns)
            asset = event.asset_key.to_user_string()
            verdicts.record(verdicts.Verdict(asset, event.check_name, status, week, run_id))
        yield event


def build_and_describe(context: dg.AssetExecutionContext, dbt: DbtCliResource, args: list[str]):
    """`dbt build`, then row counts and column types (read once dbt has exited: DuckDB has one
    writer), with every test's verdict recorded for the week (or for all weeks)."""
    invocation = dbt.cli(["build", *args], context=context)
    events = invocation.stream()
    described = events.fetch_row_counts().fetch_column_metadata(with_column_lineage=False)
    week = context.partition_key if context.has_partition_key else verdicts.ALL_WEEKS
    yield from with_verdicts(described, week, context.run.run_id)
    release_adapter(invocation)


def release_adapter(invocation: DbtCliInvocation) -> None:
    """Close the DuckDB connection the dbt adapter opened in this process for the row counts
    and column types: dbt-duckdb keeps it open after its handles are released, and while it
    is open no other connection of this process (the checks that follow) can open the
    warehouse with other settings."""
    if invocation.adapter is None:
        return
    invocation.adapter.cleanup_connections()
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    try:
        DuckDBConnectionManager.env().close()
    except Exception:  # no environment was created: nothing is open
        return
    finally:
        DuckDBConnectionManager.close_all_connections()


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
def weekly_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    sources: SourcesResource,
):
    """Build and test the weekly models for the partition's week (delete+insert of that week).

    The week is marked `building` first and `complete` only after every model and test
    succeeded; then the raw addresses of the weeks past their retention are cut.
    """
    week = partition_week(context)
    run_id = context.run.run_id
    with warehouse.connect() as con:
        before = week_status.begin_build(con, week.start, run_id)
    yield from build_and_describe(context, dbt, ["--vars", json.dumps(week.dbt_vars())])
    whole = context.selected_asset_keys == context.assets_def.keys
    keep_days = sources.read().privacy.keep_raw_addresses_days
    with warehouse.connect() as con:
        status = week_status.finish_build(con, week.start, run_id, before, whole)
        cut = address_retention.cut_due_weeks(con, keep_days)
    context.log.info(status.describe())
    if cut:
        context.log.info(
            f"Raw addresses cut to networks ({keep_days} day(s) after attribution) for weeks: "
            + ", ".join(str(week_start) for week_start in cut)
        )


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
    yield from build_and_describe(context, dbt, [])
