"""Writing raw rows the way the load does, for tests that build a week by hand."""

from collections.abc import Mapping

import duckdb

from dagster_project.sources.raw_lake import incoming_week
from dagster_project.sources.raw_schema import RawTable
from dagster_project.sources.raw_tables import ensure_raw_tables, transaction
from dagster_project.warehouse import week_status


def new_rows(con: duckdb.DuckDBPyConnection, table: RawTable) -> str:
    """An empty temp table `new_<table>` with the raw table's columns, `week_start` first;
    insert rows into it, then `store` it."""
    ensure_raw_tables(con)
    name = f"new_{table.name}"
    con.execute(f"create or replace temp table {name} as from {table.qualified_name} limit 0")
    return name


def store(
    con: duckdb.DuckDBPyConnection, relations: Mapping[RawTable, str], run_id: str = "tests"
) -> None:
    """Replace each week found in the relations' rows in the lake, as one load per week."""
    weeks = sorted(
        {
            week
            for relation in relations.values()
            for (week,) in con.execute(f"select distinct week_start from {relation}").fetchall()
        }
    )
    for week in weeks:
        with incoming_week(con, week) as incoming:
            for table, relation in relations.items():
                incoming.write(table, f"(from {relation} where week_start = '{week}')")
            with incoming.swapped_in(run_id), transaction(con):
                week_status.mark_loaded(con, week, run_id)
