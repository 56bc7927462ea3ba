"""nfcapd files of one exporter streamed into DuckDB: from their bytes, or through `nfdump
-o pipe`, the fast nfcapd readers.

`stage_records` stages the flows `nfcapd_records` reads from the file itself. For a file
that module declines, `stage_pipe` reads nfdump's `pipe` output: one line of numbers per
record (`FIELDS`: times in epoch milliseconds, addresses as four 32-bit words), which nfdump
prints about three times faster than JSON; Arrow's CSV reader parses it in blocks as nfdump
writes it, and DuckDB stages the blocks as they come, so nfdump, the parsing and the staging
run at the same time. Both stage the addresses as the lake's numbers (`staged_flow_numbers`).

Neither has an exporter, a sampled flag or out counters per record, so they serve the files
where those follow from the file itself: one exporter with records, whose sampling
`nfcapd_exporters.uniform_sampling` knows, and no record with out counters or a tunnel
(those `has_json_only_records` finds, and `nfcapd_records` declines). The records read must
be the ones the exporter counted; `nfdump.read_nfcapd_file` reads every other file through
nfdump's JSON.
"""

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from pyarrow import csv

from dagster_project.sources.readers.nfcapd_exporters import (
    Exporter,
    NfdumpError,
    nfdump_program,
    uniform_sampling,
)
from dagster_project.sources.readers.nfcapd_records import UnreadableLayout, flow_reader
from dagster_project.sources.readers.pipe_addresses import address_halves_sql
from dagster_project.sources.readers.quarantine import (
    ADDRESS_NUMBERS,
    STAGED_FLOW_NUMBERS,
    STAGED_QUARANTINE,
    FileCounts,
    stage_flows_of_file,
    stage_parsed_flows,
)
from dagster_project.sources.readers.sampling import configured_sampling
from dagster_project.sources.readers.text_sql import port_sql
from dagster_project.sources.source_config import FlowSource
from dagster_project.sources.sql_literals import sql_string
from dagster_project.weeks.analysis_week import AnalysisWeek

# Protocols whose flows carry transport ports; other protocols get port 0.
PORTED_PROTOCOLS = "(6, 17, 33, 132, 136)"
# The fields of a pipe line (nfdump 1.7, output_pipe.c), each in a type that holds what
# nfdump prints for it.
FIELDS = {
    "af": pa.uint8(), "first_ms": pa.uint64(), "last_ms": pa.uint64(), "proto": pa.uint8(),
    "sa0": pa.uint32(), "sa1": pa.uint32(), "sa2": pa.uint32(), "sa3": pa.uint32(),
    "src_port": pa.uint16(),
    "da0": pa.uint32(), "da1": pa.uint32(), "da2": pa.uint32(), "da3": pa.uint32(),
    "dst_port": pa.uint16(), "src_as": pa.uint32(), "dst_as": pa.uint32(),
    "input": pa.uint32(), "output": pa.uint32(), "tcp_flags": pa.uint8(), "tos": pa.uint8(),
    "packets": pa.uint64(), "bytes": pa.uint64(),
}  # fmt: skip
UNUSED_FIELDS = ("src_as", "dst_as", "input", "output", "tcp_flags", "tos")
# The whole line, for the text of rejected records: a separator that never occurs.
LINE_FIELDS = {"line": pa.string()}
LINE_SEPARATOR = "\x1f"
RECORD_NUMBER = "record_number"
# DuckDB's name of the stream being staged.
PIPE_RECORDS = "nfcapd_pipe_records"
# Records with out counters (bidirectional) or a tunnel (which `pipe` prints as two lines).
JSON_ONLY_RECORDS = "out packets > 0 or out bytes > 0 or not tun proto 0"
NO_FLOWS = "No matching flows"
BLOCK_BYTES = 1 << 20

logger = logging.getLogger(__name__)


def ported_sql(port: str, protocol: str) -> str:
    """The port (text) for protocols that have ports, else 0."""
    return f"case when {protocol} in {PORTED_PROTOCOLS} then {port_sql(port)} else 0 end"


def _sampling_sql(source: FlowSource, exporter: Exporter) -> tuple[str, str, str]:
    """(sampling_interval, counts_scaled, sampling_origin) of every record of the exporter."""
    sampling = uniform_sampling(exporter)
    if sampling is not None and sampling.interval is not None:
        return str(sampling.interval), "true", "'collector'"
    configured = configured_sampling(source, sql_string(exporter.address))
    interval = f"coalesce({configured.interval}, 1)"
    return interval, f"{interval} = 1", configured.origin


def _flows_sql(
    source: FlowSource,
    nfcapd_path: Path,
    records: str,
    exporter: Exporter,
    addresses: str,
) -> str:
    """Parsed flows of the relation `records` of one file, which holds `first_ms`, `last_ms`,
    `proto`, the ports and counts, `record_number` and what `addresses` selects."""
    interval, scaled, origin = _sampling_sql(source, exporter)
    return f"""
        select
            {sql_string(nfcapd_path)} as source_file,
            {RECORD_NUMBER} as source_row,
            -- the text of rejected records only, read again afterwards (`_fill_records`)
            null::varchar as record,
            null::varchar as malformed,
            make_timestamp(first_ms::bigint * 1000) as flow_start,
            -- time 0 for the end alone means a single-packet flow's end was not exported
            make_timestamp(coalesce(nullif(last_ms, 0), first_ms)::bigint * 1000) as flow_end,
            {addresses},
            case when proto in {PORTED_PROTOCOLS} then src_port else 0 end as src_port,
            case when proto in {PORTED_PROTOCOLS} then dst_port else 0 end as dst_port,
            proto::smallint as protocol,
            try_cast(bytes as bigint) as bytes,
            try_cast(packets as bigint) as packets,
            {interval} as sampling_interval,
            {scaled} as counts_scaled,
            {origin} as sampling_origin,
            {sql_string(source.service)} as service,
            {sql_string(exporter.address)} as exporter
        from {records}
    """


def pipe_sql(source: FlowSource, nfcapd_path: Path, records: str, exporter: Exporter) -> str:
    """Parsed flows of the relation `records` (`FIELDS` and `record_number`) of one file,
    their addresses as the lake's numbers."""
    addresses = f"{address_halves_sql('sa', 'src_addr')}, {address_halves_sql('da', 'dst_addr')}"
    return _flows_sql(source, nfcapd_path, records, exporter, addresses)


def records_sql(source: FlowSource, nfcapd_path: Path, records: str, exporter: Exporter) -> str:
    """Parsed flows of the relation `records` (`nfcapd_records.SCHEMA`) of one file, their
    addresses as the lake's numbers."""
    addresses = ", ".join(f"{end}_addr_{half}" for end in ("src", "dst") for half in ("hi", "lo"))
    return _flows_sql(source, nfcapd_path, records, exporter, addresses)


def _nfdump_lines(*arguments: str) -> list[str]:
    """Output lines of nfdump, times in UTC; a complaint on stderr fails (see
    `nfdump.dump_nfcapd_json`)."""
    completed = subprocess.run(
        [nfdump_program(), *arguments],
        capture_output=True, text=True, env={**os.environ, "TZ": "UTC"}, check=False,
    )  # fmt: skip
    if completed.returncode != 0 or completed.stderr.strip():
        raise NfdumpError(f"nfdump {' '.join(arguments)}: {completed.stderr.strip()}")
    return completed.stdout.splitlines()


def has_json_only_records(nfcapd_path: Path) -> bool:
    """Whether a record of the file needs nfdump's JSON output (nfdump reads the file and
    prints at most one record)."""
    found = _nfdump_lines("-r", str(nfcapd_path), "-q", "-o", "pipe", "-c", "1", JSON_ONLY_RECORDS)
    return bool(found) and found[0] != NO_FLOWS


def _numbered(batches: csv.CSVStreamingReader) -> pa.RecordBatchReader:
    """The batches with each record's number in the output (from 1) as `record_number`."""

    def numbered() -> Iterator[pa.RecordBatch]:
        first = 1
        for batch in batches:
            numbers = np.arange(first, first + batch.num_rows, dtype=np.int64)
            yield batch.append_column(RECORD_NUMBER, pa.array(numbers))
            first += batch.num_rows

    schema = batches.schema.append(pa.field(RECORD_NUMBER, pa.int64()))
    return pa.RecordBatchReader.from_batches(schema, numbered())


@contextmanager
def pipe_output(
    nfcapd_path: Path, fields: dict[str, pa.DataType], separator: str = "|"
) -> Iterator[pa.RecordBatchReader]:
    """`nfdump -o pipe` of the file as numbered record batches, parsed while nfdump writes;
    nfdump's complaints on stderr fail the block."""
    with tempfile.TemporaryFile("w+") as errors:
        dump = subprocess.Popen(
            [nfdump_program(), "-r", str(nfcapd_path), "-q", "-o", "pipe"],
            stdout=subprocess.PIPE, stderr=errors, env={**os.environ, "TZ": "UTC"},
        )  # fmt: skip
        assert dump.stdout is not None
        try:
            used = [name for name in fields if name not in UNUSED_FIELDS]
            yield _numbered(
                csv.open_csv(
                    dump.stdout,
                    read_options=csv.ReadOptions(column_names=list(fields), block_size=BLOCK_BYTES),
                    parse_options=csv.ParseOptions(delimiter=separator, quote_char=False),
                    convert_options=csv.ConvertOptions(column_types=fields, include_columns=used),
                )
            )
        except BaseException:
            dump.kill()  # it may be blocked writing what nobody reads any more
            raise
        finally:
            dump.stdout.close()
            dump.wait()
            errors.seek(0)
            problem = errors.read().strip()
    if dump.returncode != 0 or problem:
        raise NfdumpError(f"nfdump cannot read {nfcapd_path}: {problem or dump.returncode}")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, batches: pa.RecordBatchReader) -> Iterator[str]:
    con.register(PIPE_RECORDS, batches)
    try:
        yield PIPE_RECORDS
    finally:
        con.unregister(PIPE_RECORDS)


class _RowsRead:
    """How many rows the last batches handed over through `counting` held."""

    def __init__(self) -> None:
        self.rows = 0

    def counting(self, batches: pa.RecordBatchReader) -> pa.RecordBatchReader:
        self.rows = 0

        def counted() -> Iterator[pa.RecordBatch]:
            for batch in batches:
                self.rows += batch.num_rows
                yield batch

        return pa.RecordBatchReader.from_batches(batches.schema, counted())


def _unstage(con: duckdb.DuckDBPyConnection, nfcapd_path: Path) -> None:
    for table in (STAGED_FLOW_NUMBERS, STAGED_QUARANTINE):
        con.execute(f"delete from {table} where source_file = ?", [str(nfcapd_path)])


def _fill_records(con: duckdb.DuckDBPyConnection, nfcapd_path: Path) -> None:
    """The text of the file's quarantined records: their lines of a second pipe output."""
    with (
        pipe_output(nfcapd_path, LINE_FIELDS, LINE_SEPARATOR) as batches,
        _registered(con, batches) as lines,
    ):
        con.execute(
            f"update {STAGED_QUARANTINE} set record = lines.line from {lines} as lines "
            f"where source_file = ? and source_row = lines.{RECORD_NUMBER}",
            [str(nfcapd_path)],
        )


def _counted(
    con: duckdb.DuckDBPyConnection, nfcapd_path: Path, exporter: Exporter, counts: FileCounts
) -> FileCounts | None:
    """The counts of a staged file when its records are the ones the exporter counted (their
    rejected ones' text filled in); else None, with the file unstaged."""
    if counts.rows + sum(counts.quarantined.values()) != exporter.flows:
        _unstage(con, nfcapd_path)
        return None
    if counts.quarantined:
        _fill_records(con, nfcapd_path)
    return counts


def stage_pipe(
    con: duckdb.DuckDBPyConnection,
    source: FlowSource,
    nfcapd_path: Path,
    week: AnalysisWeek,
    exporter: Exporter,
) -> FileCounts | None:
    """Stage the records of a file with one `exporter` streamed from `nfdump -o pipe`;
    None, with nothing staged, when they are not the records the exporter counted or the
    output is not what `FIELDS` describes."""
    try:
        with pipe_output(nfcapd_path, FIELDS) as batches, _registered(con, batches) as records:
            parsed = pipe_sql(source, nfcapd_path, records, exporter)
            counts = stage_parsed_flows(con, parsed, week, str(nfcapd_path), ADDRESS_NUMBERS)
    except NfdumpError:
        _unstage(con, nfcapd_path)
        raise
    except (pa.ArrowInvalid, duckdb.Error) as error:
        logger.warning("%s: not read from nfdump's pipe output (%s)", nfcapd_path, error)
        _unstage(con, nfcapd_path)
        return None
    return _counted(con, nfcapd_path, exporter, counts)


def stage_records(
    con: duckdb.DuckDBPyConnection,
    source: FlowSource,
    nfcapd_path: Path,
    week: AnalysisWeek,
    exporter: Exporter,
) -> FileCounts | None:
    """Stage the flows of a file with one `exporter` read from its bytes (`nfcapd_records`),
    their addresses as numbers; None, with nothing staged, when that module does not read
    the file or they are not the records the exporter counted."""

    read = _RowsRead()

    @contextmanager
    def parsed() -> Iterator[str]:
        with _registered(con, read.counting(flow_reader(nfcapd_path))) as records:
            yield records_sql(source, nfcapd_path, records, exporter)

    try:
        counts = stage_flows_of_file(
            con, parsed, week, str(nfcapd_path), ADDRESS_NUMBERS, lambda: read.rows
        )
    except (UnreadableLayout, duckdb.Error) as error:
        # A layout declined after the first batch reaches here through DuckDB's scan.
        logger.info("%s: read through nfdump (%s)", nfcapd_path, error)
        _unstage(con, nfcapd_path)
        return None
    return _counted(con, nfcapd_path, exporter, counts)
