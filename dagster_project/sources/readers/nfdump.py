"""nfdump: nfcapd files (through the nfdump program) and nfdump CSV exports.

Sampling convention: nfcapd multiplies packets and bytes by the sampling interval while it
collects, when it knows the interval (from the exporter's sampling options, or from its own
`-s` default), and marks such records as sampled. So nfdump's counts arrive scaled, except
for exporters whose sampling nfcapd did not learn; for those the source's
`sampling_interval` supplies the interval and the counts are marked unscaled
(`counts_scaled` false) so that staging multiplies them.

- nfcapd files: where the file tells every record's exporter and sampling, its records are
  read from its bytes (`nfcapd_records.py`, uncompressed files of nfdump 1.7's layout) or
  else `nfdump -r FILE -o pipe` is streamed into DuckDB (`nfcapd_pipe.py`); otherwise
  `nfdump -o json` (nfdump 1.7.x), which gives numeric protocols, millisecond times and the
  per-record `sampled` flag, which decides `counts_scaled`.
- nfdump CSV, layout of 1.7.0-1.7.4 (`-o csv`): 48 columns, local time to the second,
  protocol as nfdump's short name, a trailing `Summary` block unless `-q`. The CSV carries
  no sampled flag, so the source must say `counts_scaled` (true: nfcapd scaled them).
- nfdump CSV, layout of 1.7.5 and later: `firstSeen,duration,proto,srcAddr,srcPort,dstAddr,
  dstPort,packets,bytes,flows`, numeric protocol, milliseconds; same convention.
"""

import os
import subprocess
import tempfile
from pathlib import Path

import duckdb

from dagster_project.sources.readers.nfcapd_exporters import (
    NfdumpError,
    applied_intervals,
    nfcapd_exporters,
    nfdump_program,
    one_exporter,
)
from dagster_project.sources.readers.nfcapd_pipe import (
    NO_FLOWS,
    has_json_only_records,
    ported_sql,
    stage_pipe,
    stage_records,
)
from dagster_project.sources.readers.protocol_names import (
    NFDUMP_PROTOCOL_TABLE,
    protocol_lookup_sql,
)
from dagster_project.sources.readers.quarantine import FileCounts, stage_parsed_flows
from dagster_project.sources.readers.sampling import configured_sampling
from dagster_project.sources.readers.text_sql import (
    integer_sql,
    lines_sql,
    timestamp_sql,
)
from dagster_project.sources.source_config import FlowSource
from dagster_project.sources.sql_literals import literal_path_sql, sql_string
from dagster_project.weeks.analysis_week import AnalysisWeek

LEGACY_CSV_FIELDS = 48
LEGACY_CSV_HEADER = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt"
CSV_FIELDS = 10
CSV_HEADER = "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows"


def _scaling_sql(source: FlowSource, exporter: str) -> tuple[str, str, str]:
    """(sampling_interval, counts_scaled, sampling_origin) for CSV records, which carry no
    sampled flag: the source states whether the collector scaled the counts."""
    configured = configured_sampling(source, exporter)
    interval = f"coalesce({configured.interval}, 1)"
    if source.counts_scaled:
        return interval, "true", "'collector'"
    return interval, f"{interval} = 1", configured.origin


def _csv_records_sql(path: Path, header_prefix: str) -> str:
    """Data lines of an nfdump CSV as untrimmed field lists `f`: no header, no Summary block,
    not the line nfdump prints instead of records when a file has none."""
    return f"""
        with lines as materialized ({lines_sql(path)}),
        trailer as (
            select coalesce(min(line_number), 9223372036854775807) as first_line
            from lines where line = 'Summary'
        )
        select line_number, line, string_split(line, ',') as f
        from lines, trailer
        where line_number < trailer.first_line
          and line is not null
          and not starts_with(line, {sql_string(header_prefix)})
          and line <> {sql_string(NO_FLOWS)}
    """


def _field(index: int) -> str:
    """Field `index` (1-based) of an nfdump CSV line; nfdump pads some fields with blanks."""
    return f"trim(f[{index}])"


def _local_time(index: int, source: FlowSource) -> str:
    """UTC time from field `index`, printed in the local time of the source's zone."""
    return timestamp_sql(_field(index), source.timezone)


def legacy_csv_sql(source: FlowSource, path: Path) -> str:
    """Parsed flows of an nfdump 1.7.0-1.7.4 `-o csv` file."""
    exporter = f"coalesce(nullif({_field(45)}, ''), {sql_string(source.name)})"
    interval, scaled, origin = _scaling_sql(source, exporter)
    protocol_number, protocol_join = protocol_lookup_sql(_field(8), NFDUMP_PROTOCOL_TABLE)
    return f"""
        with records as ({_csv_records_sql(path, "ts,te,td,")}),
        typed as (
            select records.*, {protocol_number} as protocol_number
            from records {protocol_join}
        )
        select
            {sql_string(path)} as source_file,
            line_number as source_row,
            line as record,
            case
                when len(f) <> {LEGACY_CSV_FIELDS}
                    then 'malformed record: expected {LEGACY_CSV_FIELDS} fields'
                when coalesce(try_cast({_field(14)} as bigint), 0) <> 0
                    or coalesce(try_cast({_field(15)} as bigint), 0) <> 0
                    then 'bidirectional record (out counters set)'
            end as malformed,
            {_local_time(1, source)} as flow_start,
            {_local_time(2, source)} as flow_end,
            {_field(4)} as src_addr,
            {_field(5)} as dst_addr,
            {ported_sql(_field(6), "protocol_number")} as src_port,
            {ported_sql(_field(7), "protocol_number")} as dst_port,
            protocol_number as protocol,
            {integer_sql(_field(13))} as bytes,
            {integer_sql(_field(12))} as packets,
            {interval} as sampling_interval,
            {scaled} as counts_scaled,
            {origin} as sampling_origin,
            {sql_string(source.service)} as service,
            {exporter} as exporter
        from typed
    """


def csv_sql(source: FlowSource, path: Path) -> str:
    """Parsed flows of an nfdump >= 1.7.5 `-o csv` file."""
    interval, scaled, origin = _scaling_sql(source, sql_string(source.name))
    start = _local_time(1, source)
    return f"""
        with records as ({_csv_records_sql(path, "firstSeen,")}),
        typed as (
            select *, {integer_sql(_field(3), "utinyint")}::smallint as protocol_number,
                {start} as start_utc, try_cast({_field(2)} as double) as duration_seconds
            from records
        )
        select
            {sql_string(path)} as source_file,
            line_number as source_row,
            line as record,
            case when len(f) <> {CSV_FIELDS}
                then 'malformed record: expected {CSV_FIELDS} fields' end as malformed,
            start_utc as flow_start,
            start_utc + to_milliseconds(round(duration_seconds * 1000)::bigint) as flow_end,
            {_field(4)} as src_addr,
            {_field(6)} as dst_addr,
            {ported_sql(_field(5), "protocol_number")} as src_port,
            {ported_sql(_field(7), "protocol_number")} as dst_port,
            protocol_number as protocol,
            {integer_sql(_field(9))} as bytes,
            {integer_sql(_field(8))} as packets,
            {interval} as sampling_interval,
            {scaled} as counts_scaled,
            {origin} as sampling_origin,
            {sql_string(source.service)} as service,
            {sql_string(source.name)} as exporter
        from typed
    """


def csv_layout(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """'legacy' (1.7.0-1.7.4) or 'current' (>= 1.7.5), told by the first line of the file."""
    first = con.execute(
        f"select line from ({lines_sql(path)}) where line is not null order by line_number limit 1"
    ).fetchone()
    if first is None or first[0] == NO_FLOWS:
        return "legacy"  # an empty export: either layout reads it as no records
    fields = first[0].split(",")
    if first[0].startswith("ts,te,td,") or len(fields) == LEGACY_CSV_FIELDS:
        return "legacy"
    if first[0].startswith("firstSeen,") or len(fields) == CSV_FIELDS:
        return "current"
    raise ValueError(f"{path}: not an nfdump CSV export (first line: {first[0][:80]!r})")


def csv_file_sql(con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path) -> str:
    """Parsed flows of an nfdump CSV export in whichever layout it has."""
    parse = legacy_csv_sql if csv_layout(con, path) == "legacy" else csv_sql
    return parse(source, path)


# nfdump -o json prints addresses under family-specific keys and omits absent fields.
_NFDUMP_JSON_COLUMNS = {
    "first": "varchar",
    "last": "varchar",
    "sampled": "integer",
    "in_packets": "varchar",
    "in_bytes": "varchar",
    "out_packets": "varchar",
    "out_bytes": "varchar",
    "proto": "varchar",
    "src_port": "varchar",
    "dst_port": "varchar",
    "src4_addr": "varchar",
    "dst4_addr": "varchar",
    "src6_addr": "varchar",
    "dst6_addr": "varchar",
    "ip4_router": "varchar",
    "ip6_router": "varchar",
    "export_sysid": "integer",
}


def nfcapd_json_sql(
    source: FlowSource,
    nfcapd_path: Path,
    json_path: Path,
    applied_intervals: dict[int, int] | None = None,
) -> str:
    """Parsed flows of nfdump's JSON rendering of one nfcapd file (times printed in UTC).

    `applied_intervals` maps exporter SysID to the interval nfcapd scaled its sampled
    records by (`exporter_sampling_intervals`); records it left unsampled take the interval
    configured for their exporter, else the source's `sampling_interval` (`sampling.py`),
    and staging scales them.
    """
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in _NFDUMP_JSON_COLUMNS.items())
    pairs = ", ".join(f"'{name}', {name}" for name in _NFDUMP_JSON_COLUMNS)
    interval = source.sampling_interval or 1
    exporter = f"coalesce(ip4_router, ip6_router, {sql_string(source.name)})"
    unscaled = configured_sampling(source, exporter)
    applied = " ".join(
        f"when {sysid} then {rate}" for sysid, rate in (applied_intervals or {}).items()
    )
    scaled_interval = f"case export_sysid {applied} else {interval} end" if applied else interval
    return f"""
        with records as (
            select ordinality::bigint as record_number,
                json_object({pairs})::varchar as record_text, *
            from read_json({literal_path_sql(json_path)}, format = 'array', columns = {{{columns}}})
                with ordinality
        ),
        typed as (
            select *, try_cast(proto as utinyint)::smallint as protocol_number from records
        )
        select
            {sql_string(nfcapd_path)} as source_file,
            record_number as source_row,
            record_text as record,
            case when coalesce(try_cast(out_packets as bigint), 0) <> 0
                   or coalesce(try_cast(out_bytes as bigint), 0) <> 0
                 then 'bidirectional record (out counters set)' end as malformed,
            try_cast(first as timestamp) as flow_start,
            -- time 0 for the end alone means a single-packet flow's end was not exported
            coalesce(nullif(try_cast(last as timestamp), '1970-01-01'::timestamp),
                     try_cast(first as timestamp)) as flow_end,
            coalesce(src4_addr, src6_addr) as src_addr,
            coalesce(dst4_addr, dst6_addr) as dst_addr,
            {ported_sql("src_port", "protocol_number")} as src_port,
            {ported_sql("dst_port", "protocol_number")} as dst_port,
            protocol_number as protocol,
            try_cast(in_bytes as bigint) as bytes,
            try_cast(in_packets as bigint) as packets,
            case when coalesce(sampled, 0) = 1 then {scaled_interval}
                else coalesce({unscaled.interval}, 1) end as sampling_interval,
            coalesce(sampled, 0) = 1 or coalesce({unscaled.interval}, 1) = 1 as counts_scaled,
            case when coalesce(sampled, 0) = 1 then 'collector' else {unscaled.origin} end
                as sampling_origin,
            {sql_string(source.service)} as service,
            {exporter} as exporter
        from typed
    """


def dump_nfcapd_json(nfcapd_path: Path, json_path: Path) -> bool:
    """Write nfdump's JSON rendering of an nfcapd file; False when it holds no flows.

    nfdump prints times in the local time zone of its process, so it runs with TZ=UTC.
    It exits 0 even when it cannot read a file and says so on stderr, which is therefore
    what decides failure.
    """
    with json_path.open("w") as output:
        completed = subprocess.run(
            [nfdump_program(), "-r", str(nfcapd_path), "-o", "json"],
            stdout=output,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TZ": "UTC"},
            check=False,
        )
    problem = completed.stderr.strip()
    if completed.returncode != 0 or problem:
        raise NfdumpError(f"nfdump cannot read {nfcapd_path}: {problem or completed.returncode}")
    with json_path.open() as output:
        head = output.read(64)
    return NO_FLOWS not in head


def exporter_sampling_intervals(nfcapd_path: Path) -> dict[int, int]:
    """Per exporter SysID, the 1:N interval nfcapd applied to its sampled records."""
    return applied_intervals(nfcapd_exporters(nfcapd_path))


def read_nfcapd_json(
    con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path, week: AnalysisWeek
) -> FileCounts:
    """Any nfcapd file, through nfdump's JSON output (a temporary file)."""
    with tempfile.TemporaryDirectory(prefix="trafficreport-nfdump-") as scratch:
        json_path = Path(scratch) / "flows.json"
        if not dump_nfcapd_json(path, json_path):
            return FileCounts(path=str(path))
        parsed = nfcapd_json_sql(source, path, json_path, exporter_sampling_intervals(path))
        return stage_parsed_flows(con, parsed, week, str(path))


def read_nfcapd_file(
    con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path, week: AnalysisWeek
) -> FileCounts:
    """An nfcapd file read from its bytes (`nfcapd_records.py`) or else through nfdump's pipe
    output when the file allows (`nfcapd_pipe.py`), else through its JSON output."""
    exporter = one_exporter(nfcapd_exporters(path))
    if exporter is not None:
        counts = stage_records(con, source, path, week, exporter)
        if counts is None and not has_json_only_records(path):
            counts = stage_pipe(con, source, path, week, exporter)
        if counts is not None:
            return counts
    return read_nfcapd_json(con, source, path, week)
