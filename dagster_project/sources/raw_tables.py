"""The raw schema of the DuckDB warehouse: the quarantine, kept there, and the views over the
raw lake (sources/raw_lake.py); replacing a week of a warehouse table atomically."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date

import duckdb

from dagster_project.sources import raw_lake
from dagster_project.sources.address_numbers import number_text_columns
from dagster_project.sources.raw_schema import QUARANTINE, RAW_SCHEMA, RAW_TABLES, RawTable
from dagster_project.warehouse.connection import has_table


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Make the warehouse's raw schema current: the quarantine table, the lake's views, and
    a warehouse written by an older version brought up to date (missing columns added,
    nullable there; address text turned to numbers; raw tables it kept moved to the lake).
    Repairs a week replacement a killed process left half done."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(QUARANTINE.create_sql())
    for table in RAW_TABLES:
        if has_table(con, RAW_SCHEMA, table.name):
            _add_missing_columns(con, table)
    number_text_columns(con)
    root = raw_lake.lake_dir(con)
    raw_lake.move_tables_to_lake(con, root)
    raw_lake.recover(con, root)
    raw_lake.refresh_views(con, root)


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    for column in table.columns:
        con.execute(
            f"alter table {table.qualified_name} "
            f"add column if not exists {column.name} {column.nullable_type}"
        )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All statements of the block take effect together or not at all."""
    con.execute("begin transaction")
    try:
        yield
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def replace_weeks(
    con: duckdb.DuckDBPyConnection, week_start: date, relations: Mapping[RawTable, str]
) -> dict[str, int]:
    """Replace one week of several tables; call it inside `transaction` so that a failed load
    never leaves a half-written week behind.

    Each relation (a table, view or registered DataFrame) has its table's columns except
    `week_start`. Returns the number of rows written per table name.
    """
    counts: dict[str, int] = {}
    for table, relation_name in relations.items():
        columns = ", ".join(name for name in table.column_names if name != "week_start")
        con.execute(f"delete from {table.qualified_name} where week_start = ?", [week_start])
        con.execute(
            f"insert into {table.qualified_name} (week_start, {columns}) "
            f"select ?::date, {columns} from {relation_name}",
            [week_start],
        )
        (counts[table.name],) = con.execute(
            f"select count(*) from {table.qualified_name} where week_start = ?", [week_start]
        ).fetchall()[0]
    return counts


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, data: object) -> Iterator[str]:
    """A DataFrame, Arrow table or DuckDB relation readable as `name` within the block."""
    con.register(name, data)
    try:
        yield name
    finally:
        con.unregister(name)


def stage(con: duckdb.DuckDBPyConnection, name: str, data: object) -> None:
    """Copy a DataFrame, Arrow table or DuckDB relation into the temp table `name`."""
    with registered(con, "incoming_data", data):
        con.execute(f"create or replace temp table {name} as select * from incoming_data")
