"""Rows of the tables a dbt build wrote, counted in one query once dbt has exited."""

from collections.abc import Iterable
from datetime import date

import duckdb


def table_row_counts(
    con: duckdb.DuckDBPyConnection, tables: Iterable[str], week_start: date | None
) -> dict[str, int]:
    """Rows of each table of the `main` schema: those of the week when one is given (the
    weekly tables hold every week; a week's materialization is about its own rows), else all."""
    names = sorted(set(tables))
    if not names:
        return {}
    where = "where week_start = $week" if week_start else ""
    counts = " union all ".join(
        f"select '{name}' as name, count(*) as row_count from main.{name} {where}" for name in names
    )
    parameters = {"week": week_start} if week_start else {}
    return {name: int(count) for name, count in con.execute(counts, parameters).fetchall()}
