"""The raw layer as Parquet: the one copy of the raw inputs that both engines read.

The tables the dbt models read (flows, assignments, usage counters, monthly totals) live in
a folder beside the warehouse file (`<warehouse dir>/raw`, or TRAFFICREPORT_RAW_DIR):
`<table>/week_start=<date>/part-<n>.parquet` per analysis week (a file per batch the load
was handed; Hive-style, so both engines see `week_start` as a partition and read only the
week a model asks for) and `monthly_totals/part-0.parquet`. DuckDB's catalogue names them
as views `raw.<table>` over those files; Spark's as tables over the same folders
(dbt/macros/spark_raw.sql). The quarantine and the week status stay in the warehouse.

A week is replaced atomically with the warehouse transaction that marks it loaded: the new
files are written to `_incoming/<week>/` as the load is handed them (`IncomingWeek`), a
marker `_swaps/<week>` names the loading run, the old week folders move to
`_outgoing/<week>/` and the new ones into place, and only after the warehouse commits are
the old ones deleted. A failure undoes the swap at once; a process killed in between is
repaired by the next writer (`recover`), which finds out from the week status whether that
run's transaction committed.
"""

import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.settings import raw_dir
from dagster_project.sources.raw_schema import (
    ASSIGNMENTS,
    FLOWS,
    MONTHLY_TOTALS,
    RAW_SCHEMA,
    USAGE_COUNTERS,
    WEEK_START,
    Column,
    RawTable,
)
from dagster_project.sources.sql_literals import glob_escaped, literal_path_sql, sql_string
from dagster_project.warehouse import week_status
from dagster_project.warehouse.connection import has_table

LAKE_TABLES = (FLOWS, ASSIGNMENTS, USAGE_COUNTERS, MONTHLY_TOTALS)
# Parquet readers differ on 128-bit integers (DuckDB writes HUGEINT as a double): the lake
# keeps them as DECIMAL(38, 0), exact on both engines, and DuckDB's views cast them back.
EXACT_INTEGER = "decimal(38, 0)"
# Parquet format 2: integers and timestamps delta-coded, where format 1 stores them plain
# and compresses the bytes. The week's files take a tenth less CPU time to write, come out
# smaller and read faster; both engines read them.
PARQUET_OPTIONS = "format parquet, parquet_version v2"
# The values each of a relation's label columns takes, when they are known (a generator's).
Labels = Mapping[str, Sequence[str]]


def lake_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """The lake of the warehouse `con` is connected to."""
    ((path,),) = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    if not path:
        raise ValueError("An in-memory DuckDB database has no raw lake: open a warehouse file")
    return raw_dir(Path(path))


def week_folder(root: Path, table_name: str, week_start: date) -> Path:
    return root / table_name / f"week_start={week_start.isoformat()}"


def _part(number: int) -> str:
    return f"part-{number}.parquet"


def _pattern(table: RawTable) -> str:
    return "week_start=*/*.parquet" if table.weekly else "*.parquet"


def has_files(root: Path, table: RawTable) -> bool:
    return any((root / table.name).glob(_pattern(table)))


def _stored_type(column: Column) -> str:
    return EXACT_INTEGER if column.nullable_type == "hugeint" else column.nullable_type


def _written_type(column: Column, labels: Labels) -> str:
    """A text column whose few values are known is written through an enum of them: DuckDB
    writes an enum's dictionary as it is, where text costs a hash of every row's value (a
    frame of flows is written in a quarter less time). Either way the file holds plain
    strings."""
    values = labels.get(column.name)
    if values and column.nullable_type == "varchar":
        return f"enum({', '.join(sql_string(value) for value in values)})"
    return _stored_type(column)


def parquet_columns_sql(table: RawTable, labels: Labels | None = None) -> str:
    """The table's columns as the lake stores them, in their declared types whatever the
    relation's (a DataFrame's int64, a reader's wider parse); `week_start` lives in the
    folder name. `labels` gives the values a text column can take, when they are known (a
    value outside them is an error)."""
    return ", ".join(
        f"cast({column.name} as {_written_type(column, labels or {})}) as {column.name}"
        for column in table.columns
        if column is not WEEK_START
    )


def _check_not_null(con: duckdb.DuckDBPyConnection, table: RawTable, written: Path) -> None:
    """Refuse a file with a null where the table allows none (the warehouse's NOT NULL of
    the raw tables); the Parquet statistics count nulls, so nothing is read again."""
    required = [c.name for c in table.columns if c.sql_type.endswith("not null")]
    nulls = con.execute(
        f"""
        select path_in_schema, sum(stats_null_count)::bigint
        from parquet_metadata({literal_path_sql(written)})
        where path_in_schema in (select unnest($required::varchar[]))
        group by path_in_schema having sum(stats_null_count) > 0
        order by path_in_schema
        """,
        {"required": required},
    ).fetchall()
    if nulls:
        found = ", ".join(f"{column} ({count} rows)" for column, count in nulls)
        raise ValueError(f"raw.{table.name}: null values in NOT NULL columns: {found}")


def _copy(
    con: duckdb.DuckDBPyConnection,
    query: str,
    target: Path,
    parameters: Mapping[str, object] | None = None,
) -> int:
    """Write the query's rows to one Parquet file; the number of rows written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ((rows,),) = con.execute(
        f"copy ({query}) to {sql_string(target)} ({PARQUET_OPTIONS})", parameters or {}
    ).fetchall()
    return int(rows)


def _no_rows_sql(table: RawTable) -> str:
    """No rows, with the table's columns in their declared types."""
    typed_nulls = ", ".join(f"cast(null as {c.nullable_type}) as {c.name}" for c in table.columns)
    return f"select {typed_nulls} where false"


def _view_sql(root: Path, table: RawTable) -> str:
    """`raw.<table>` with the declared column types, over the lake's files (or empty)."""
    if not has_files(root, table):
        return _no_rows_sql(table)
    columns = ", ".join(
        c.name
        if _stored_type(c) == c.nullable_type
        else f"cast({c.name} as {c.nullable_type}) as {c.name}"
        for c in table.columns
    )
    options = (
        ", hive_partitioning = true, hive_types = {'week_start': date}" if table.weekly else ""
    )
    files = sql_string(f"{glob_escaped(root / table.name)}/{_pattern(table)}")
    return f"select {columns} from read_parquet({files}{options})"


def refresh_views(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Point DuckDB's `raw.<table>` views at the lake (again: a view over no files fails)."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table in LAKE_TABLES:
        con.execute(f"create or replace view {table.qualified_name} as {_view_sql(root, table)}")


def _incoming(root: Path, week_start: date) -> Path:
    return root / "_incoming" / week_start.isoformat()


def _outgoing(root: Path, week_start: date) -> Path:
    return root / "_outgoing" / week_start.isoformat()


def _marker(root: Path, week_start: date) -> Path:
    return root / "_swaps" / week_start.isoformat()


def _swap_in(root: Path, week_start: date, tables: list[str], run_id: str) -> None:
    marker = _marker(root, week_start)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"run_id": run_id, "tables": tables}))
    for name in tables:
        place = week_folder(root, name, week_start)
        if place.exists():
            outgoing = _outgoing(root, week_start) / name
            outgoing.parent.mkdir(parents=True, exist_ok=True)
            place.rename(outgoing)
        place.parent.mkdir(parents=True, exist_ok=True)
        (_incoming(root, week_start) / name).rename(place)


def _clear(root: Path, week_start: date) -> None:
    """The swap of the week is over: forget what it replaced."""
    shutil.rmtree(_incoming(root, week_start), ignore_errors=True)
    shutil.rmtree(_outgoing(root, week_start), ignore_errors=True)
    _marker(root, week_start).unlink(missing_ok=True)


def _undo(root: Path, week_start: date) -> None:
    """Put back the week folders a swap replaced (whichever step it reached)."""
    swap = json.loads(_marker(root, week_start).read_text())
    for name in swap["tables"]:
        place = week_folder(root, name, week_start)
        outgoing = _outgoing(root, week_start) / name
        if not (_incoming(root, week_start) / name).exists():  # the new week is in place
            shutil.rmtree(place, ignore_errors=True)
        if outgoing.exists():
            outgoing.rename(place)
    _clear(root, week_start)


def recover(con: duckdb.DuckDBPyConnection, root: Path) -> list[date]:
    """Finish or undo swaps a killed process left; the weeks repaired.

    A swap whose run is the week's recorded load committed (its old folders go); any other
    is undone. Files staged without a swap are removed."""
    repaired = []
    for marker in sorted((root / "_swaps").glob("*")):
        week_start = date.fromisoformat(marker.name)
        run_id = json.loads(marker.read_text())["run_id"]
        status = week_status.status_of(con, [week_start])[week_start]
        if status.load_run_id == run_id:
            _clear(root, week_start)
        else:
            _undo(root, week_start)
        repaired.append(week_start)
    for leftover in ("_incoming", "_outgoing", "_rewriting"):
        shutil.rmtree(root / leftover, ignore_errors=True)
    return repaired


class IncomingWeek:
    """One week's new files, written relation by relation to
    `_incoming/<week>/<table>/part-<n>.parquet`: a large week is handed over in batches,
    each written as it comes, and never exists whole outside its files."""

    def __init__(self, con: duckdb.DuckDBPyConnection, week_start: date) -> None:
        self.con = con
        self.week_start = week_start
        self.root = lake_dir(con)
        self.rows: dict[str, int] = {}
        self._parts: dict[RawTable, int] = {}

    def write(
        self,
        table: RawTable,
        relation: str,
        labels: Labels | None = None,
    ) -> int:
        """Add the relation's rows (the table's columns but `week_start`) as the table's next
        file; the rows written. A file with a null where the table allows none is refused.
        `labels`: the values of text columns that take only those (`parquet_columns_sql`)."""
        number = self._parts.get(table, 0)
        target = _incoming(self.root, self.week_start) / table.name / _part(number)
        columns = parquet_columns_sql(table, labels)
        rows = _copy(self.con, f"select {columns} from {relation}", target)
        _check_not_null(self.con, table, target)
        self._parts[table] = number + 1
        self.rows[table.name] = self.rows.get(table.name, 0) + rows
        return rows

    def write_empty(self, tables: Iterable[RawTable]) -> None:
        """An empty file for each table given nothing yet: the swap replaces its week too."""
        for table in tables:
            if table not in self._parts:
                self.write(table, f"({_no_rows_sql(table)})")

    @contextmanager
    def swapped_in(self, run_id: str) -> Iterator[dict[str, int]]:
        """Replace the week of each table written by its files; yields the rows written.

        The block must commit the warehouse transaction that records `run_id` as the week's
        load (week_status.mark_loaded): the swap stands once the block ends and is undone if
        it raises (and, after a crash, by `recover` when that transaction did not commit)."""
        root, week_start = self.root, self.week_start
        try:
            _swap_in(root, week_start, [table.name for table in self._parts], run_id)
        except BaseException:
            if _marker(root, week_start).exists():
                _undo(root, week_start)
            raise
        try:
            refresh_views(self.con, root)
            yield self.rows
        except BaseException:
            _undo(root, week_start)
            refresh_views(self.con, root)
            raise
        _clear(root, week_start)


@contextmanager
def incoming_week(con: duckdb.DuckDBPyConnection, week_start: date) -> Iterator[IncomingWeek]:
    """A week's new files, written in the block and swapped in by `IncomingWeek.swapped_in`;
    whatever of them is not swapped in when the block ends is removed."""
    incoming = IncomingWeek(con, week_start)
    shutil.rmtree(_incoming(incoming.root, week_start), ignore_errors=True)
    try:
        yield incoming
    finally:
        shutil.rmtree(_incoming(incoming.root, week_start), ignore_errors=True)


def replace_whole(con: duckdb.DuckDBPyConnection, table: RawTable, relation: str) -> int:
    """Replace an unpartitioned table (one file, replaced at once); the rows written."""
    root = lake_dir(con)
    staged = root / "_incoming" / table.name / _part(0)
    rows = _copy(con, f"select {parquet_columns_sql(table)} from {relation}", staged)
    _check_not_null(con, table, staged)
    (root / table.name).mkdir(parents=True, exist_ok=True)
    os.replace(staged, root / table.name / _part(0))
    refresh_views(con, root)
    return rows


def rewrite_week(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    week_start: date,
    replacements: Mapping[str, str],
) -> None:
    """Rewrite the week's files with columns replaced by SQL expressions of the stored row
    (every expression reads the values before the rewrite); each file is replaced at once.

    A process killed between two files leaves some rewritten: callers rewrite with
    expressions that change nothing the second time, and rewrite the week again."""
    root = lake_dir(con)
    replaced = ", ".join(f"{sql} as {column}" for column, sql in replacements.items())
    rewriting = root / "_rewriting" / week_start.isoformat() / table.name
    for stored in sorted(week_folder(root, table.name, week_start).glob("*.parquet")):
        # the folder name must not become a column of the file (DuckDB reads it by default)
        source = f"read_parquet({literal_path_sql(stored)}, hive_partitioning = false)"
        _copy(con, f"select * replace ({replaced}) from {source}", rewriting / stored.name)
        os.replace(rewriting / stored.name, stored)
    for folder in (rewriting, rewriting.parent, rewriting.parent.parent):
        with suppress(OSError):  # left alone while another table's files are in it
            folder.rmdir()


def move_tables_to_lake(con: duckdb.DuckDBPyConnection, root: Path) -> list[str]:
    """Move raw tables that an earlier version kept in the warehouse into the lake, week by
    week, and drop them there; the tables moved."""
    moved = []
    for table in LAKE_TABLES:
        if not has_table(con, RAW_SCHEMA, table.name):
            continue
        select = f"select {parquet_columns_sql(table)} from {table.qualified_name}"
        if table.weekly:
            weeks = con.execute(f"select distinct week_start from {table.qualified_name}")
            for (week_start,) in weeks.fetchall():
                target = week_folder(root, table.name, week_start) / _part(0)
                _copy(con, f"{select} where week_start = $week", target, {"week": week_start})
        else:
            _copy(con, select, root / table.name / _part(0))
        con.execute(f"drop table {table.qualified_name}")
        moved.append(table.name)
    return moved
