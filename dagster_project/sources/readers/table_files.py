"""Address assignments, usage counters and monthly totals from CSV or Parquet files.

Columns are named as in the raw tables (`raw_schema.py`), without `week_start`,
`source_file` and `source_row`; timestamps are naive in the source's zone (UTC unless it
says otherwise). Assignments are kept when they overlap the week (the others belong to
other weeks); a usage counter outside the week and any malformed row are quarantined.
Monthly totals are not partitioned, so a bad row there fails the load, naming file, row
and reason.
"""

from collections.abc import Callable
from pathlib import Path

import duckdb

from dagster_project.sources.raw_schema import (
    ASSIGNMENT_RECORDS,
    MONTHLY_TOTALS,
    USAGE_COUNTERS,
    RawTable,
)
from dagster_project.sources.readers.encoding import stage_text_file
from dagster_project.sources.readers.quarantine import (
    STAGED_QUARANTINE,
    FileCounts,
    fill_parquet_records,
)
from dagster_project.sources.readers.text_sql import (
    TEXT,
    FileRecords,
    headed_csv_sql,
    integer_sql,
    parquet_column_types,
    parquet_record_sql,
    parquet_records,
    timestamp_sql,
)
from dagster_project.sources.source_config import SERVICES, TableSource
from dagster_project.sources.sql_literals import sql_string
from dagster_project.weeks.analysis_week import AnalysisWeek

ACCESS_OF_SERVICE = {"broadband": ("pppoe", "ipoe"), "mobile": ("mobile",)}
CUSTOMER_CLASSES = ("personal", "enterprise")
DIRECTIONS = ("IN", "OUT")
CHECKED_ROWS = "ingest_checked_rows"


def _in_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(sql_string(value) for value in values) + ")"


ACCESS_LIST = _in_list(tuple(a for accesses in ACCESS_OF_SERVICE.values() for a in accesses))
SERVICE_LIST = _in_list(SERVICES)
CLASS_LIST = _in_list(CUSTOMER_CLASSES)


def file_columns(table: RawTable) -> tuple[str, ...]:
    skipped = ("week_start", "source_file", "source_row")
    return tuple(name for name in table.column_names if name not in skipped)


def declared_types(table: RawTable, columns: tuple[str, ...]) -> dict[str, str]:
    """The raw type of each of `columns` of `table`, by name."""
    types = {column.name: column.nullable_type for column in table.columns}
    return {name: types[name] for name in columns}


def _records(
    con: duckdb.DuckDBPyConnection, table: RawTable, source: TableSource, path: Path
) -> FileRecords:
    """One row per record with every wanted column, `line` and `field_problem`."""
    columns = file_columns(table)
    if source.format == "parquet":
        records = parquet_records(
            path, declared_types(table, columns), parquet_column_types(con, path)
        )
        return FileRecords(f"select *, false as field_problem from ({records.sql})", records.types)
    return FileRecords(headed_csv_sql(con, path, columns))


def _assignment_checks(source: TableSource, held: Callable[[str], str]) -> tuple[str, str]:
    valid_from = timestamp_sql("valid_from", source.timezone, held("valid_from"))
    valid_to = timestamp_sql("valid_to", source.timezone, held("valid_to"))
    # an open assignment: no end, or (in text) an empty one
    has_end = "coalesce(valid_to, '') <> ''" if held("valid_to") == TEXT else "valid_to is not null"
    typed = f"""
        subscriber_id, service, access, customer_class, address,
        {valid_from} as valid_from, {valid_to} as valid_to
    """
    reason = f"""case
        when field_problem then 'malformed record: wrong number of fields'
        when coalesce(subscriber_id, '') = '' then 'missing subscriber'
        when service not in {SERVICE_LIST} or access not in {ACCESS_LIST}
            or customer_class not in {CLASS_LIST} then 'unknown service, access or class'
        when not ingest_is_ip(split_part(address, '/', 1))
            or (address like '%/%' and coalesce(
                try_cast(split_part(address, '/', 2) as utinyint)
                    not between 1 and case when contains(address, ':') then 128 else 32 end,
                true
            ))
            then 'unparseable address'
        when {valid_from} is null then 'unparseable timestamp'
        when {has_end} and {valid_to} is null then 'unparseable timestamp'
        when {valid_to} <= {valid_from} then 'assignment ends before it starts'
    end"""
    return typed, reason


def _counter_checks(held: Callable[[str], str]) -> tuple[str, str]:
    bytes_in = integer_sql("bytes_in", held=held("bytes_in"))
    bytes_out = integer_sql("bytes_out", held=held("bytes_out"))
    typed = f"""
        subscriber_id, service, access, customer_class, try_cast(day as date) as day,
        {bytes_in} as bytes_in, {bytes_out} as bytes_out
    """
    reason = f"""case
        when field_problem then 'malformed record: wrong number of fields'
        when coalesce(subscriber_id, '') = '' then 'missing subscriber'
        when service not in {SERVICE_LIST} or access not in {ACCESS_LIST}
            or customer_class not in {CLASS_LIST} then 'unknown service, access or class'
        when try_cast(day as date) is null then 'unparseable timestamp'
        when {bytes_in} is null or {bytes_out} is null then 'unparseable counts'
        when {bytes_in} < 0 or {bytes_out} < 0 then 'negative counts'
        when try_cast(day as date) < $first_day or try_cast(day as date) >= $end_day
            then 'outside the partition week'
    end"""
    return typed, reason


def _monthly_checks(held: Callable[[str], str]) -> tuple[str, str]:
    total = integer_sql("bytes", "hugeint", held("bytes"))
    typed = f"""
        date_trunc('month', try_cast(month as date))::date as month, service, access,
        direction, {total} as bytes
    """
    reason = f"""case
        when field_problem then 'malformed record: wrong number of fields'
        when try_cast(month as date) is null then 'unparseable month'
        when service not in {SERVICE_LIST} or access not in {ACCESS_LIST}
            then 'unknown service or access'
        when direction not in {_in_list(DIRECTIONS)} then 'direction must be IN or OUT'
        when {total} is null then 'unparseable counts'
        when {total} < 0 then 'negative counts'
    end"""
    return typed, reason


def _check(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    source: TableSource,
    path: Path,
    parameters: dict[str, object],
) -> None:
    """Materialise the file's rows with their typed columns and reason (NULL = good)."""
    records = _records(con, table, source, path)
    held = records.held
    if table is ASSIGNMENT_RECORDS:
        typed, reason = _assignment_checks(source, held)
    elif table is USAGE_COUNTERS:
        typed, reason = _counter_checks(held)
    else:
        typed, reason = _monthly_checks(held)
    con.execute(
        f"create or replace temp table {CHECKED_ROWS} as "
        f"select line_number, line, {reason} as reason, {typed} from ({records.sql})",
        parameters,
    )


def _append_good_rows(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    staged: str,
    path: Path,
    where: str = "true",
    parameters: dict[str, object] | None = None,
) -> None:
    columns = ", ".join(file_columns(table))
    con.execute(
        f"insert into {staged} ({columns}, source_file) "
        f"select {columns}, {sql_string(path)} from {CHECKED_ROWS} "
        f"where reason is null and {where}",
        parameters or {},
    )


def _reason_counts(con: duckdb.DuckDBPyConnection, path: Path) -> FileCounts:
    counts = FileCounts(path=str(path))
    for reason, count in con.execute(
        f"select reason, count(*) from {CHECKED_ROWS} group by reason"
    ).fetchall():
        if reason is None:
            counts.rows = int(count)
        else:
            counts.quarantined[reason] = int(count)
    return counts


def stage_week_table(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    source: TableSource,
    path: Path,
    week: AnalysisWeek,
) -> FileCounts:
    """Append one assignments or counters file to staged_<table>, bad rows to quarantine."""
    return stage_text_file(
        con,
        table.name,
        path,
        lambda readable: _stage_week_table(con, table, source, path, week, readable),
    )


def _stage_week_table(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    source: TableSource,
    path: Path,
    week: AnalysisWeek,
    readable: Path,
) -> FileCounts:
    """`stage_week_table` reading `readable`: the file itself or its UTF-8 lines."""
    parameters: dict[str, object] = {}
    if table is USAGE_COUNTERS:
        parameters = {"first_day": week.start, "end_day": week.end}
    _check(con, table, source, readable, parameters)
    if table is ASSIGNMENT_RECORDS:
        overlap = "valid_from < $week_end and (valid_to is null or valid_to > $week_start)"
        _append_good_rows(
            con,
            table,
            f"staged_{table.name}",
            path,
            overlap,
            {"week_start": week.utc_start, "week_end": week.utc_end},
        )
    else:
        _append_good_rows(con, table, f"staged_{table.name}", path)
    con.execute(
        f"insert into {STAGED_QUARANTINE} (source, source_file, source_row, reason, record) "
        f"select {sql_string(table.name)}, {sql_string(path)}, line_number, reason, line "
        f"from {CHECKED_ROWS} where reason is not null"
    )
    counts = _reason_counts(con, path)
    if counts.quarantined and source.format == "parquet":
        fill_parquet_records(con, path, file_columns(table))
    return counts


class BadRowError(RuntimeError):
    """A row of an unpartitioned table that cannot be loaded."""


def stage_monthly_totals(con: duckdb.DuckDBPyConnection, source: TableSource, path: Path) -> int:
    """Append one monthly totals file to staged_monthly_totals; a bad row fails the load."""
    _check(con, MONTHLY_TOTALS, source, path, {})
    bad = con.execute(
        f"select line_number, reason, line from {CHECKED_ROWS} where reason is not null "
        "order by line_number limit 1"
    ).fetchone()
    if bad is not None:
        line_number, reason, record = bad
        if source.format == "parquet":
            rows = parquet_record_sql(path, file_columns(MONTHLY_TOTALS), str(int(line_number)))
            record = con.execute(f"select line from ({rows})").fetchone()[0]
        raise BadRowError(f"{path}, row {line_number}: {reason}: {record}")
    _append_good_rows(con, MONTHLY_TOTALS, "staged_monthly_totals", path)
    return _reason_counts(con, path).rows
