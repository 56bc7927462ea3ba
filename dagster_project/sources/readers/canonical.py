"""Flows already in the canonical schema, as Parquet or CSV (for instance an export of
another system, or a previous load of this one).

Sampling convention: the files say it themselves, per record, in `counts_scaled` and
`sampling_interval`, exactly as raw.flows does. Times are naive UTC unless the source
names another zone.
"""

from pathlib import Path

import duckdb

from dagster_project.sources.raw_schema import FLOWS
from dagster_project.sources.readers.table_files import file_columns
from dagster_project.sources.readers.text_sql import (
    headed_csv_sql,
    local_to_utc_sql,
    parquet_records_sql,
    port_sql,
    sql_string,
)
from dagster_project.sources.source_config import SERVICES, FlowSource

COLUMNS = file_columns(FLOWS)
_SERVICE_LIST = ", ".join(sql_string(service) for service in SERVICES)


def _canonical_sql(source: FlowSource, records_sql: str, malformed_sql: str, path: Path) -> str:
    """Typed canonical columns from a relation with one text column per canonical column."""
    return f"""
        with records as ({records_sql})
        select
            {sql_string(path)} as source_file,
            line_number as source_row,
            line as record,
            case
                when {malformed_sql} then 'malformed record: wrong number of fields'
                when try_cast(counts_scaled as boolean) is null
                    then 'malformed record: counts_scaled is not a boolean'
                when service not in ({_SERVICE_LIST}) then 'malformed record: unknown service'
            end as malformed,
            {local_to_utc_sql("try_cast(flow_start as timestamp)", source.timezone)} as flow_start,
            {local_to_utc_sql("try_cast(flow_end as timestamp)", source.timezone)} as flow_end,
            src_addr,
            dst_addr,
            {port_sql("src_port")} as src_port,
            {port_sql("dst_port")} as dst_port,
            try_cast(protocol as utinyint)::smallint as protocol,
            try_cast(bytes as bigint) as bytes,
            try_cast(packets as bigint) as packets,
            try_cast(sampling_interval as integer) as sampling_interval,
            try_cast(counts_scaled as boolean) as counts_scaled,
            service,
            coalesce(nullif(exporter, ''), {sql_string(source.name)}) as exporter
        from records
    """


def parquet_sql(source: FlowSource, path: Path) -> str:
    return _canonical_sql(source, parquet_records_sql(path, COLUMNS), "false", path)


def csv_sql(con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path) -> str:
    return _canonical_sql(source, headed_csv_sql(con, path, COLUMNS), "field_problem", path)
