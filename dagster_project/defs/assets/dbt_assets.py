"""dbt models as Dagster assets: weekly models per partition, cross-week models unpartitioned."""

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from dagster_project.defs.dbt_project import dbt_project, translator
from dagster_project.defs.partitions import ONE_WEEK_PER_RUN, partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL, SourcesResource, WarehouseResource
from dagster_project.engines import spark_results
from dagster_project.engines.run_folders import prune_run_folders
from dagster_project.settings import dbt_engine, dbt_unit_tests, raw_dir, spark_dir
from dagster_project.sources import raw_lake
from dagster_project.validation import verdicts
from dagster_project.warehouse import address_retention, week_status
from dagster_project.warehouse.row_counts import table_row_counts
from dagster_project.weeks.analysis_week import AnalysisWeek

# Where each table's post-hook writes its row count (dbt/macros/row_counts.sql).
ROW_COUNTS_DIR = "TRAFFICREPORT_ROW_COUNTS_DIR"


def with_verdicts(events: Iterator[Any], week: str, run_id: str) -> Iterator[Any]:
    """Pass dbt's events on, recording the verdict of every dbt test among them."""
    for event in events:
        if isinstance(event, dg.AssetCheckResult) and event.asset_key is not None:
            warns = event.severity == dg.AssetCheckSeverity.WARN
            status = verdicts.status_of(event.passed, blocking=not warns)
            asset = event.asset_key.to_user_string()
            verdicts.record(verdicts.Verdict(asset, event.check_name, status, week, run_id))
        yield event


def build_and_describe(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    week: AnalysisWeek | None = None,
):
    """`dbt build`, each table it wrote with its rows (of the week, for weekly tables), and
    every test's verdict recorded for the week (or for all weeks).

    A weekly build reads its week from the environment dbt starts with (`dbt_environment`).
    On DuckDB dbt's events are passed on as they come, while dbt goes on: each table's rows
    were counted by its post-hook (dbt/macros/row_counts.sql), since the warehouse has one
    writer. On Spark (TRAFFICREPORT_ENGINE=spark) the build reads the raw lake's Parquet
    where the load wrote it, and the tables it wrote are read back into the warehouse and
    counted there once it is done. dbt's folders of this step's earlier builds beyond the
    newest few are deleted after it (`engines.run_folders`).

    Column types are not read back: every column's type is declared in the models' YAML and
    shown from the manifest; reading them per model after the build took longer than most
    models (14 s of a 10-million-flow week's 36 s dbt step)."""
    on_spark = dbt_engine() == "spark"
    spark_vars = spark_raw_vars(raw_dir(Path(warehouse.path))) if on_spark else None
    arguments = build_arguments(dbt_unit_tests(), spark_vars)
    verdict_week = context.partition_key if context.has_partition_key else verdicts.ALL_WEEKS
    with tempfile.TemporaryDirectory(prefix="dbt-row-counts-") as counts_dir:
        environment = {**(week.dbt_environment() if week else {}), ROW_COUNTS_DIR: counts_dir}
        with dbt_environment(environment):
            invocation = dbt.cli(arguments, context=context)
        if on_spark:
            described = counted_after_import(invocation, warehouse, week)
        else:
            described = counted_as_built(invocation, Path(counts_dir))
        try:
            yield from with_verdicts(described, verdict_week, context.run.run_id)
        finally:
            prune_run_folders(invocation.target_path)


def counted_as_built(invocation: DbtCliInvocation, counts_dir: Path) -> Iterator[Any]:
    """dbt's events as they come, each stored table's with the rows its post-hook counted."""
    for event in invocation.stream():
        table = stored_table(invocation.manifest, event)
        yield event if table is None else with_row_count(event, recorded_rows(counts_dir, table))


def recorded_rows(counts_dir: Path, table: str) -> int | None:
    """The rows the post-hook counted in `table`; None when it wrote no count."""
    counted = counts_dir / f"{table}.json"
    if not counted.is_file():
        return None
    return int(json.loads(counted.read_text().splitlines()[0])["row_count"])


def counted_after_import(
    invocation: DbtCliInvocation, warehouse: WarehouseResource, week: AnalysisWeek | None
) -> Iterator[Any]:
    """On Spark: dbt's events once it is done, each table read back into the warehouse and
    its rows counted there; a failed model or test fails the step after what was built."""
    events, failure = [], None
    try:
        events.extend(invocation.stream())
    except Exception as error:  # re-raised once the built tables are reported
        failure = error
    week_start = week.start if week else None
    tables = [stored_table(invocation.manifest, event) for event in events]
    present = import_spark_tables(warehouse, invocation.manifest, events, week_start)
    with warehouse.connect(read_only=True) as con:
        counts = table_row_counts(con, set(tables) & set(present), week_start)
    for event, table in zip(events, tables, strict=True):
        yield event if table not in counts else with_row_count(event, counts[table])
    if failure is not None:
        raise failure


def build_arguments(unit_tests: bool, spark_vars: Mapping[str, Any] | None) -> list[str]:
    """`dbt build`'s arguments: the unit tests left out unless asked for (they test the SQL on
    fixed rows, not the week: settings.dbt_unit_tests), and on Spark the raw lake's tables."""
    arguments = ["build"]
    if not unit_tests:
        arguments += ["--exclude-resource-type", "unit_test"]
    if spark_vars is not None:
        arguments += ["--vars", json.dumps(spark_vars)]
    return arguments


@contextmanager
def dbt_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """This process's environment with `variables` set while dbt starts, as it was after:
    dagster-dbt starts dbt with a copy of it and takes no environment of its own."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def spark_raw_vars(root: Path) -> dict[str, Any]:
    """What dbt/macros/spark_raw.sql declares as Spark's raw tables: the lake's folder and
    the tables with files in it (Spark cannot infer the schema of an empty folder)."""
    present = [table.name for table in raw_lake.LAKE_TABLES if raw_lake.has_files(root, table)]
    return {"raw_dir": str(root), "spark_raw_tables": present}


def stored_table(manifest: dict[str, Any], event: Any) -> str | None:
    """The table a model's event is about, when dbt stores that model as a table."""
    unique_id = event.metadata.get("unique_id")
    if unique_id is None or isinstance(event, dg.AssetCheckResult):
        return None
    node = manifest["nodes"].get(unique_id.text)
    if node and node["config"]["materialized"] in ("table", "incremental"):
        return node["alias"]
    return None


def import_spark_tables(
    warehouse: WarehouseResource,
    manifest: dict[str, Any],
    events: list[Any],
    week_start: date | None,
) -> list[str]:
    """Read the tables and seeds Spark wrote back into the warehouse; the names present."""
    unique_ids = [
        event.metadata["unique_id"].text for event in events if "unique_id" in event.metadata
    ]
    tables = spark_results.tables_of_nodes(manifest, dict.fromkeys(unique_ids))
    with warehouse.connect() as con:
        return spark_results.import_tables(con, spark_dir() / "warehouse", tables, week_start)


def with_row_count(event: Any, rows: int | None) -> Any:
    """A table's event with its rows, when they are known."""
    if rows is None:
        return event
    return event.with_metadata({**event.metadata, "dagster/row_count": rows})


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
    yield from build_and_describe(context, dbt, warehouse, week)
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
def cross_week_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """Rebuild the multi-year tables from every week in the warehouse."""
    yield from build_and_describe(context, dbt, warehouse)
