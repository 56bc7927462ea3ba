"""The raw week as Parquet: the form the Spark engine reads (dbt/macros/spark_raw.sql).

The load writes every week into the warehouse's raw tables, where quarantine, checks and the
address cut work. Before a Spark build the dbt step writes the rows that build reads: the
week's rows of the weekly raw tables under `<raw dir>/<table>/week_start=<date>/` (Hive-style
folders, so Spark sees `week_start` as a partition) and all monthly totals under
`<raw dir>/monthly_totals/`. After the build the week's folders are removed: outside the
warehouse, raw addresses exist only while a build runs.
"""

import shutil
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.sources.raw_schema import (
    ASSIGNMENTS,
    FLOWS,
    MONTHLY_TOTALS,
    USAGE_COUNTERS,
    WEEK_START,
    RawTable,
)

WEEKLY_TABLES = (FLOWS, ASSIGNMENTS, USAGE_COUNTERS)
# Parquet readers differ on 128-bit integers (DuckDB writes HUGEINT as a double): the raw
# layer hands them over as DECIMAL(38, 0), exact on both engines.
EXACT_INTEGER = "decimal(38, 0)"


def week_folder(raw_dir: Path, table: RawTable, week_start: date) -> Path:
    return raw_dir / table.name / f"week_start={week_start.isoformat()}"


def parquet_select_sql(table: RawTable) -> str:
    """The table's columns as written to Parquet: `week_start` lives in the folder name."""
    columns = [
        f"cast({column.name} as {EXACT_INTEGER}) as {column.name}"
        if column.sql_type.startswith("hugeint")
        else column.name
        for column in table.columns
        if column is not WEEK_START
    ]
    return f"select {', '.join(columns)} from {table.qualified_name}"


def write_parquet(con: duckdb.DuckDBPyConnection, query: str, folder: Path, week: date | None):
    """Replace `folder` with one Parquet file of the query's rows (of the week, if given)."""
    staging = folder.with_name(folder.name + ".writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    where = " where week_start = $week" if week else ""
    parameters = {"week": week} if week else {}
    con.execute(
        f"copy ({query}{where}) to '{staging / 'part-0.parquet'}' (format parquet)", parameters
    )
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def export_raw(con: duckdb.DuckDBPyConnection, raw_dir: Path, week_start: date | None) -> list[str]:
    """Write what a Spark build reads: the week's raw rows (a weekly build) and the monthly
    totals (every build). Returns the names of the tables written."""
    tables = [*WEEKLY_TABLES] if week_start else []
    for table in tables:
        write_parquet(
            con, parquet_select_sql(table), week_folder(raw_dir, table, week_start), week_start
        )
    write_parquet(con, parquet_select_sql(MONTHLY_TOTALS), raw_dir / MONTHLY_TOTALS.name, None)
    return [table.name for table in [*tables, MONTHLY_TOTALS]]


def remove_week(raw_dir: Path, week_start: date) -> None:
    """Remove the week's raw Parquet once its build is over."""
    for table in WEEKLY_TABLES:
        shutil.rmtree(week_folder(raw_dir, table, week_start), ignore_errors=True)
