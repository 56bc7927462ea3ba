"""Spark's model tables read back into the DuckDB warehouse.

A Spark build writes its tables as Parquet under the Spark warehouse
(`<warehouse>/main.db/<table>/`, weekly tables partitioned by `week_start=<date>/`). The
checks, figures and pages read the DuckDB warehouse whichever engine built the models, so
after a Spark build each table it wrote replaces its rows there: a weekly table's rows of the
week, a cross-week table or seed whole. Columns get the types the models' YAML declares (the
types a DuckDB build gives), so both engines leave the same tables behind.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.sources.raw_tables import transaction
from dagster_project.warehouse.connection import has_table

SPARK_SCHEMA = "main"


@dataclass(frozen=True)
class BuiltTable:
    name: str
    weekly: bool
    # column name -> declared type, in the order the YAML lists them
    declared_types: Mapping[str, str]


def table_folder(spark_warehouse: Path, name: str) -> Path:
    return spark_warehouse / f"{SPARK_SCHEMA}.db" / name


def parquet_files(spark_warehouse: Path, table: BuiltTable, week_start: date | None) -> str | None:
    """The glob of the table's Parquet files (of the week, for a weekly table), or None when
    Spark left none (an empty week)."""
    folder = table_folder(spark_warehouse, table.name)
    if table.weekly and week_start is not None:
        folder = folder / f"week_start={week_start.isoformat()}"
    if not any(folder.rglob("*.parquet")):
        return None
    return f"{folder}/**/*.parquet"


def typed_select_sql(con: duckdb.DuckDBPyConnection, table: BuiltTable, files: str) -> str:
    """Select of the Parquet rows with the declared types, declared columns first in their
    order (Spark moves a partition column last); `week_start` comes from the folder names."""
    source = f"read_parquet('{files}', hive_partitioning = true)"
    present = [row[0] for row in con.execute(f"describe select * from {source}").fetchall()]
    ordered = [name for name in table.declared_types if name in present]
    ordered += [name for name in present if name not in table.declared_types]
    columns = ", ".join(
        f"cast({name} as {table.declared_types[name]}) as {name}"
        if name in table.declared_types
        else name
        for name in ordered
    )
    return f"select {columns} from {source}"


def import_table(
    con: duckdb.DuckDBPyConnection,
    spark_warehouse: Path,
    table: BuiltTable,
    week_start: date | None,
) -> bool:
    """Replace the table's rows (the week's, for a weekly table) in the warehouse's `main`
    schema with Spark's. False when there is nothing to read and no table to empty."""
    files = parquet_files(spark_warehouse, table, week_start)
    target = f"main.{table.name}"
    exists = has_table(con, "main", table.name)
    if files is None:
        if exists and table.weekly:
            con.execute(f"delete from {target} where week_start = ?", [week_start])
        return bool(exists)
    query = typed_select_sql(con, table, files)
    if not table.weekly:
        con.execute(f"create or replace table {target} as {query}")
        return True
    if not exists:
        con.execute(f"create table {target} as {query} limit 0")
    con.execute(f"delete from {target} where week_start = ?", [week_start])
    con.execute(f"insert into {target} by name {query}")
    return True


def import_tables(
    con: duckdb.DuckDBPyConnection,
    spark_warehouse: Path,
    tables: list[BuiltTable],
    week_start: date | None,
) -> list[str]:
    """Import every table in one transaction (the week is replaced whole or not at all);
    returns the names now in the warehouse."""
    # Spark writes some timestamps as instants of its session zone, UTC: read them in UTC.
    con.execute("set TimeZone = 'UTC'")
    with transaction(con):
        return [
            table.name for table in tables if import_table(con, spark_warehouse, table, week_start)
        ]


def tables_of_nodes(manifest: Mapping[str, Any], unique_ids: Iterable[str]) -> list[BuiltTable]:
    """The tables and seeds among dbt nodes, as the manifest describes them: weekly models
    (tag `weekly`) replace their week, the rest (cross-week models, seeds) whole."""
    tables = []
    for unique_id in unique_ids:
        node = manifest["nodes"].get(unique_id)
        if not node or node["config"]["materialized"] not in ("table", "incremental", "seed"):
            continue
        weekly = node["resource_type"] == "model" and "weekly" in node["tags"]
        declared = {
            name: column["data_type"]
            for name, column in node["columns"].items()
            if column.get("data_type")
        }
        tables.append(BuiltTable(node["alias"], weekly, declared))
    return tables
