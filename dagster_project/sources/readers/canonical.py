"""Flows already in the canonical schema, as Parquet or CSV (for instance an export of
another system, or a previous load of this one).

Sampling convention: the files say it themselves, per record, in `counts_scaled`,
`sampling_interval` and `sampling_origin`, exactly as raw.flows does; a file without the
`sampling_origin` column (written before it existed) has records that carry their interval
(`record`). Times with an offset or zone (text, or a time-zone-aware Parquet column) keep
it; naive times are UTC unless the source names another zone.
"""

from contextlib import nullcontext
from pathlib import Path

import duckdb

from dagster_project.sources.raw_schema import FLOW_RECORDS, SAMPLING_ORIGINS
from dagster_project.sources.readers.quarantine import (
    TEXT_ADDRESSES,
    FileCounts,
    fill_parquet_records,
    stage_flows_of_file,
)
from dagster_project.sources.readers.table_files import declared_types, file_columns
from dagster_project.sources.readers.text_sql import (
    FileRecords,
    first_line,
    headed_csv_sql,
    integer_sql,
    parquet_column_types,
    parquet_records,
    parquet_rows,
    port_sql,
    timestamp_sql,
)
from dagster_project.sources.source_config import SERVICES, FlowSource
from dagster_project.sources.sql_literals import sql_string
from dagster_project.weeks.analysis_week import AnalysisWeek

ORIGIN = "sampling_origin"
COLUMNS = tuple(name for name in file_columns(FLOW_RECORDS) if name != ORIGIN)  # required
_SERVICE_LIST = ", ".join(sql_string(service) for service in SERVICES)
_ORIGIN_LIST = ", ".join(sql_string(origin) for origin in SAMPLING_ORIGINS)
_ORIGIN_SQL = f"coalesce(nullif(trim({ORIGIN}), ''), 'record')"


def _columns(present: list[str]) -> tuple[str, ...]:
    """The required columns, and `sampling_origin` when the file has it."""
    has_origin = ORIGIN in (name.strip().strip('"').lower() for name in present)
    return (*COLUMNS, ORIGIN) if has_origin else COLUMNS


def _with_origin(records: FileRecords, columns: tuple[str, ...]) -> FileRecords:
    """The records with a `sampling_origin` column, NULL when the file has none."""
    if ORIGIN in columns:
        return records
    return FileRecords(f"select *, null::varchar as {ORIGIN} from ({records.sql})", records.types)


def _canonical_sql(source: FlowSource, records: FileRecords, malformed_sql: str, path: Path) -> str:
    """Typed canonical columns from a relation with a column per canonical column."""
    held = records.held
    return f"""
        with records as ({records.sql})
        select
            {sql_string(path)} as source_file,
            line_number as source_row,
            line as record,
            case
                when {malformed_sql} then 'malformed record: wrong number of fields'
                when try_cast(counts_scaled as boolean) is null
                    then 'malformed record: counts_scaled is not a boolean'
                when {integer_sql("sampling_interval", held=held("sampling_interval"))} is null
                    then 'malformed record: sampling_interval is not a whole number'
                when service not in ({_SERVICE_LIST}) then 'malformed record: unknown service'
                when {_ORIGIN_SQL} not in ({_ORIGIN_LIST})
                    then 'malformed record: unknown sampling_origin'
            end as malformed,
            {timestamp_sql("flow_start", source.timezone, held("flow_start"))} as flow_start,
            {timestamp_sql("flow_end", source.timezone, held("flow_end"))} as flow_end,
            src_addr,
            dst_addr,
            {port_sql("src_port", held("src_port"))} as src_port,
            {port_sql("dst_port", held("dst_port"))} as dst_port,
            {integer_sql("protocol", "utinyint", held("protocol"))}::smallint as protocol,
            {integer_sql("bytes", held=held("bytes"))} as bytes,
            {integer_sql("packets", held=held("packets"))} as packets,
            {integer_sql("sampling_interval", held=held("sampling_interval"))}
                as sampling_interval,
            try_cast(counts_scaled as boolean) as counts_scaled,
            {_ORIGIN_SQL} as sampling_origin,
            service,
            coalesce(nullif(exporter, ''), {sql_string(source.name)}) as exporter
        from records
    """


def read_parquet_file(
    con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path, week: AnalysisWeek
) -> FileCounts:
    """Check and stage the flows of a canonical Parquet file; the record text of its rejected
    rows is read back from the file afterwards."""
    file_types = parquet_column_types(con, path)
    columns = _columns(list(file_types))
    records = parquet_records(path, declared_types(FLOW_RECORDS, columns), file_types)
    parsed = _canonical_sql(source, _with_origin(records, columns), "false", path)
    rows = parquet_rows(con, path)
    counts = stage_flows_of_file(
        con, lambda: nullcontext(parsed), week, str(path), TEXT_ADDRESSES, lambda: rows
    )
    if counts.quarantined:
        fill_parquet_records(con, path, columns)
    return counts


def csv_sql(con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path) -> str:
    columns = _columns((first_line(con, path) or "").split(","))
    records = _with_origin(FileRecords(headed_csv_sql(con, path, columns)), columns)
    return _canonical_sql(source, records, "field_problem", path)
