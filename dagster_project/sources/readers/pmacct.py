"""pmacct (nfacctd/sfacctd) `print` plugin output, JSON lines or CSV.

Sampling convention: pmacct multiplies packets and bytes by the sampling interval only when
the collector runs with `nfacctd_renormalize: true` (the default is false), and its output
does not say which. So a pmacct source states it: `counts_scaled: true` for a renormalizing
collector; otherwise the counts are unscaled and multiplied in staging by the record's
`sampling_rate` primitive when the aggregation includes it, else by the interval configured
for the exporter (`exporter_sampling`, keyed by `peer_ip_src`) or the source's
`sampling_interval`.

Times: `timestamp_start`/`timestamp_end` when aggregated, else the time bin
`stamp_inserted`; epoch seconds (`timestamps_since_epoch`) or text in the source's zone.
"""

from pathlib import Path

import duckdb

from dagster_project.sources.readers.protocol_names import IANA_PROTOCOL_TABLE, protocol_lookup_sql
from dagster_project.sources.readers.sampling import configured_sampling
from dagster_project.sources.readers.text_sql import (
    delimited_sql,
    epoch_or_timestamp_sql,
    first_line,
    header_index,
    integer_sql,
    json_lines_sql,
    port_sql,
)
from dagster_project.sources.source_config import FlowSource
from dagster_project.sources.sql_literals import sql_string

# Canonical meaning -> pmacct JSON key; the CSV header names are the same in upper case
# except where CSV_NAMES says otherwise.
JSON_FIELDS = (
    "ip_src",
    "ip_dst",
    "port_src",
    "port_dst",
    "ip_proto",
    "packets",
    "bytes",
    "timestamp_start",
    "timestamp_end",
    "stamp_inserted",
    "peer_ip_src",
    "sampling_rate",
)
CSV_NAMES = {
    "ip_src": "SRC_IP",
    "ip_dst": "DST_IP",
    "port_src": "SRC_PORT",
    "port_dst": "DST_PORT",
    "ip_proto": "PROTOCOL",
    "packets": "PACKETS",
    "bytes": "BYTES",
    "timestamp_start": "TIMESTAMP_START",
    "timestamp_end": "TIMESTAMP_END",
    "stamp_inserted": "STAMP_INSERTED",
    "peer_ip_src": "PEER_SRC_IP",
    "sampling_rate": "SAMPLING_RATE",
}
REQUIRED = ("ip_src", "ip_dst", "ip_proto", "packets", "bytes")


def _canonical_sql(source: FlowSource, records_sql: str, malformed_sql: str, path: Path) -> str:
    """Canonical columns from a relation with one text column per pmacct field."""
    start = epoch_or_timestamp_sql("timestamp_start", source.timezone)
    end = epoch_or_timestamp_sql("timestamp_end", source.timezone)
    binned = epoch_or_timestamp_sql("stamp_inserted", source.timezone)
    exporter = f"coalesce(nullif(peer_ip_src, ''), {sql_string(source.name)})"
    configured = configured_sampling(source, exporter)
    fallback = f"coalesce({configured.interval}, 1)"
    scaled = "true" if source.counts_scaled else "false"
    protocol_number, protocol_join = protocol_lookup_sql("ip_proto", IANA_PROTOCOL_TABLE)
    return f"""
        with records as ({records_sql}),
        typed as (
            select records.*, {protocol_number} as protocol_number,
                coalesce({start}, {binned}) as start_utc,
                {integer_sql("sampling_rate")} as rate
            from records {protocol_join}
        )
        select
            {sql_string(path)} as source_file,
            line_number as source_row,
            line as record,
            {malformed_sql} as malformed,
            start_utc as flow_start,
            coalesce({end}, start_utc) as flow_end,
            ip_src as src_addr,
            ip_dst as dst_addr,
            coalesce({port_sql("port_src")}, case when port_src is null then 0 end) as src_port,
            coalesce({port_sql("port_dst")}, case when port_dst is null then 0 end) as dst_port,
            protocol_number as protocol,
            {integer_sql("bytes")} as bytes,
            {integer_sql("packets")} as packets,
            -- bigint: a rate beyond 32 bits is quarantined as invalid, not a failed file; so
            -- is a negative rate or one that is not a whole number (0 stands for that).
            case when rate > 0 then rate
                when rate = 0 or coalesce(trim(sampling_rate), '') = '' then {fallback}
                else coalesce(rate, 0) end::bigint as sampling_interval,
            {scaled} or (coalesce(rate, {fallback}) = 1) as counts_scaled,
            case when rate > 0 then 'record' when {scaled} then 'collector'
                else {configured.origin} end as sampling_origin,
            {sql_string(source.service)} as service,
            {exporter} as exporter
        from typed
    """


def json_sql(source: FlowSource, path: Path) -> str:
    """Parsed flows of a pmacct print plugin file with `print_output: json`."""
    return _canonical_sql(
        source,
        json_lines_sql(path, JSON_FIELDS),
        "case when not valid_json then 'malformed record: not a JSON object' end",
        path,
    )


def csv_sql(con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path) -> str:
    """Parsed flows of a pmacct print plugin file with `print_output: csv`."""
    header = first_line(con, path)
    if header is None:
        return json_sql(source, path)  # an empty file: no records either way
    columns = header.split(",")
    wanted = header_index(columns, tuple(CSV_NAMES[name] for name in REQUIRED), path)
    present = {name.strip().upper(): index + 1 for index, name in enumerate(columns)}
    selected = ", ".join(
        f"f[{present[csv_name]}] as {field}" if csv_name in present else f"null as {field}"
        for field, csv_name in CSV_NAMES.items()
    )
    header_line = min(wanted.values())  # any required column proves the header line
    records = f"""
        select line_number, line, len(f) as field_count, {selected}
        from ({delimited_sql(path)})
        where not (f[{header_line}] = {sql_string(columns[header_line - 1].strip())})
    """
    return _canonical_sql(
        source,
        records,
        f"case when field_count <> {len(columns)} "
        f"then 'malformed record: expected {len(columns)} fields' end",
        path,
    )
