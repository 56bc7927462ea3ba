"""Raw inputs: one analysis week of flows, assignments and counters, and the monthly totals."""

from typing import Any

import dagster as dg

from dagster_project.defs.partitions import ONE_WEEK_PER_RUN, partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL, SourcesResource, WarehouseResource
from dagster_project.sources.raw_lake import LAKE_TABLES
from dagster_project.sources.raw_schema import (
    ASSIGNMENTS,
    FLOWS,
    MONTHLY_TOTALS,
    QUARANTINE,
    USAGE_COUNTERS,
    RawTable,
)
from dagster_project.sources.week_load import LoadReport, load_monthly_totals, load_week
from dagster_project.validation import verdicts

WEEKLY_TAGS = {"partitioned": "weekly"}
# Metadata of raw_flows: wall seconds of each phase of the week's load.
LOAD_SECONDS = "load_seconds"


def _where_kept(table: RawTable) -> str:
    if table not in LAKE_TABLES:
        return f"Warehouse table `{table.qualified_name}`."
    folder = f"raw/{table.name}/" + ("week_start=<week>/" if table.weekly else "")
    return (
        f"Parquet in the raw lake (`{folder}` beside the warehouse, or under "
        f"TRAFFICREPORT_RAW_DIR), read by both engines as `{table.qualified_name}`."
    )


def _raw_spec(table: RawTable) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=f"raw_{table.name}",
        group_name="raw",
        description=f"{table.description} {_where_kept(table)}",
        kinds={"parquet"} if table in LAKE_TABLES else {"duckdb"},
        tags=WEEKLY_TAGS if table.weekly else {"partitioned": "none"},
        metadata={
            "dagster/table_name": table.qualified_name,
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(c.name, c.sql_type, description=c.description)
                    for c in table.columns
                ]
            ),
        },
    )


def _load_metadata(report: LoadReport, table: RawTable) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "source": report.provenance.get("source", "unknown"),
        "dagster/row_count": report.rows.get(table.name, 0),
        **{f"provenance/{key}": value for key, value in report.provenance.items()},
    }
    if table is QUARANTINE:
        metadata["quarantined_by_reason"] = dg.MetadataValue.json(report.quarantined)
    if table is FLOWS:  # the load's phases: generating or reading, and writing each table
        metadata[LOAD_SECONDS] = dg.MetadataValue.json(
            {phase: round(seconds, 3) for phase, seconds in report.seconds.items()}
        )
    return metadata


WEEKLY_RAW_TABLES = (FLOWS, ASSIGNMENTS, USAGE_COUNTERS, QUARANTINE)


@dg.multi_asset(
    specs=[_raw_spec(table) for table in WEEKLY_RAW_TABLES],
    partitions_def=weekly_partitions,
    backfill_policy=ONE_WEEK_PER_RUN,
    pool=WAREHOUSE_POOL,
)
def raw_week(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
):
    """Load the partition's week from the configured sources, replacing it atomically."""
    week = partition_week(context)
    # The week is being replaced: its earlier verdicts no longer describe its data.
    verdicts.clear_week(week.key)
    with warehouse.connect() as con:
        report = load_week(con, week, sources.read(), context.run.run_id)
    context.log.info(f"Loaded week {week}: {report.rows}, quarantined {report.quarantined}")
    for table in WEEKLY_RAW_TABLES:
        yield dg.MaterializeResult(
            asset_key=f"raw_{table.name}", metadata=_load_metadata(report, table)
        )


@dg.asset(
    key="raw_monthly_totals",
    group_name="raw",
    description=f"{MONTHLY_TOTALS.description} {_where_kept(MONTHLY_TOTALS)}",
    kinds={"parquet"},
    tags={"partitioned": "none"},
    pool=WAREHOUSE_POOL,
)
def raw_monthly_totals(
    warehouse: WarehouseResource, sources: SourcesResource
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        report = load_monthly_totals(con, sources.read())
    return dg.MaterializeResult(
        metadata={
            "source": report.provenance.get("source", "unknown"),
            "dagster/row_count": report.rows["monthly_totals"],
            **{f"provenance/{key}": value for key, value in report.provenance.items()},
        }
    )
