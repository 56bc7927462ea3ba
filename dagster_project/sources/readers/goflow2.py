"""GoFlow2 JSON lines (`goflow2 -format=json`, v2 field names).

Sampling convention: GoFlow2 reports packets and bytes as the exporter sent them, NOT
multiplied by the sampling interval; each record carries `sampling_rate`, so staging
multiplies (`counts_scaled` false). A record decoded before the exporter's sampling
options arrived carries `sampling_rate` 0: it takes the interval configured for its
exporter (`exporter_sampling`) or the source's `sampling_interval` when there is one, and is
quarantined otherwise, never counted as 1:1.
"""

from pathlib import Path

from dagster_project.sources.readers.protocol_names import IANA_PROTOCOL_TABLE, protocol_lookup_sql
from dagster_project.sources.readers.sampling import configured_sampling
from dagster_project.sources.readers.text_sql import (
    integer_sql,
    json_lines_sql,
    port_sql,
    timestamp_sql,
)
from dagster_project.sources.source_config import FlowSource
from dagster_project.sources.sql_literals import sql_string

FIELDS = (
    "time_flow_start_ns",
    "time_flow_end_ns",
    "sampling_rate",
    "sampler_address",
    "bytes",
    "packets",
    "src_addr",
    "dst_addr",
    "proto",
    "src_port",
    "dst_port",
)


def _time_sql(text: str, timezone: str) -> str:
    """Nanoseconds since the epoch, or RFC 3339 text when the time field is rendered."""
    nanoseconds = f"try_cast({text} as hugeint)"
    return (
        f"case when {nanoseconds} > 0 then make_timestamp(({nanoseconds} // 1000)::bigint) "
        f"when {nanoseconds} is null then {timestamp_sql(text, timezone)} end"
    )


def parsed_sql(source: FlowSource, path: Path) -> str:
    exporter = f"coalesce(nullif(sampler_address, ''), {sql_string(source.name)})"
    configured = configured_sampling(source, exporter)
    scaled = "true" if source.counts_scaled else "false"
    protocol_number, protocol_join = protocol_lookup_sql("proto", IANA_PROTOCOL_TABLE)
    return f"""
        with records as ({json_lines_sql(path, FIELDS)}),
        typed as (
            select records.*, {protocol_number} as protocol_number,
                {integer_sql("sampling_rate")} as rate
            from records {protocol_join}
        )
        select
            {sql_string(path)} as source_file,
            line_number as source_row,
            line as record,
            case when not valid_json then 'malformed record: not a JSON object' end as malformed,
            {_time_sql("time_flow_start_ns", source.timezone)} as flow_start,
            {_time_sql("time_flow_end_ns", source.timezone)} as flow_end,
            src_addr,
            dst_addr,
            {port_sql("src_port")} as src_port,
            {port_sql("dst_port")} as dst_port,
            protocol_number as protocol,
            {integer_sql("bytes")} as bytes,
            {integer_sql("packets")} as packets,
            -- bigint: a rate beyond 32 bits is quarantined as invalid, not a failed file; so
            -- is a negative rate or one that is not a whole number (0 stands for that).
            case when rate > 0 then rate
                when rate = 0 or coalesce(trim(sampling_rate), '') = '' then {configured.interval}
                else coalesce(rate, 0) end::bigint as sampling_interval,
            {scaled} as counts_scaled,
            case when rate > 0 then 'record' else {configured.origin} end as sampling_origin,
            {sql_string(source.service)} as service,
            {exporter} as exporter
        from typed
    """
