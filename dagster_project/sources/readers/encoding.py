"""Text files with lines that are not UTF-8: those lines are quarantined, the rest loads.

DuckDB's CSV scanner, through which every text reader reads its lines
(`text_sql.lines_sql`), refuses a whole file at the first byte that is not UTF-8. Checking
every file in Python beforehand would cost each load a second pass over its bytes, so a
file is first read as it is; only when DuckDB refuses its encoding is it split into a copy
with those lines blanked (a blank line is no record, so every other line keeps its number)
and a file of just those lines, their undecodable bytes written as `\\xNN`.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from dagster_project.sources.raw_schema import FLOW_RECORDS
from dagster_project.sources.readers.quarantine import (
    STAGED_QUARANTINE,
    FileCounts,
    stage_parsed_flows,
)
from dagster_project.sources.readers.text_sql import lines_sql
from dagster_project.sources.sql_literals import sql_string
from dagster_project.weeks.analysis_week import AnalysisWeek

NOT_UTF8 = "malformed record: not valid UTF-8"
# How DuckDB's CSV scanner words its refusal of a file's encoding.
_DUCKDB_ENCODING_ERROR = "Invalid unicode"


def _split_by_encoding(path: Path, readable: Path, rejected: Path) -> None:
    """Copy `path` to `readable` with its non-UTF-8 lines blank, and those lines, escaped,
    to `rejected` at the same line numbers (the other lines blank there)."""
    with path.open("rb") as lines, readable.open("wb") as good, rejected.open("wb") as bad:
        for line in lines:
            body = line.rstrip(b"\r\n")
            ending = line[len(body) :]
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                good.write(ending)
                bad.write(body.decode("utf-8", "backslashreplace").encode() + ending)
            else:
                good.write(line)
                bad.write(ending)


def _quarantine_lines(
    con: duckdb.DuckDBPyConnection, table_name: str, path: Path, rejected: Path
) -> int:
    """Quarantine the lines of `rejected` as records of `path`; how many there were."""
    lines = f"select line_number, line from ({lines_sql(rejected)}) where line is not null"
    count = con.execute(f"select count(*) from ({lines})").fetchone()
    con.execute(
        f"insert into {STAGED_QUARANTINE} (source, source_file, source_row, reason, record) "
        f"select {sql_string(table_name)}, {sql_string(path)}, line_number, "
        f"{sql_string(NOT_UTF8)}, line from ({lines})"
    )
    return 0 if count is None else int(count[0])


def stage_text_file(
    con: duckdb.DuckDBPyConnection,
    table_name: str,
    path: Path,
    stage: Callable[[Path], FileCounts],
) -> FileCounts:
    """`stage(path)`; when DuckDB refuses the file's encoding, `stage` of the file's UTF-8
    lines instead, and its other lines quarantined (and counted) as records of `table_name`.

    `stage` is given the file to read and must name `path` in what it stages; it stages
    nothing when DuckDB refuses, because the file is read whole before anything is written.
    """
    try:
        return stage(path)
    except duckdb.InvalidInputException as error:
        if _DUCKDB_ENCODING_ERROR not in str(error):
            raise
    with tempfile.TemporaryDirectory(prefix="trafficreport-utf8-") as scratch:
        readable, rejected = Path(scratch) / path.name, Path(scratch) / "rejected.txt"
        _split_by_encoding(path, readable, rejected)
        counts = stage(readable)
        rejected_lines = _quarantine_lines(con, table_name, path, rejected)
    counts.quarantined[NOT_UTF8] = counts.quarantined.get(NOT_UTF8, 0) + rejected_lines
    return counts


def stage_flow_file(
    con: duckdb.DuckDBPyConnection,
    parse: Callable[[Path], str],
    path: Path,
    week: AnalysisWeek,
) -> FileCounts:
    """Check and stage the flows `parse` makes of a file, its non-UTF-8 lines quarantined."""

    def stage(readable: Path) -> FileCounts:
        # The records keep the name of the delivered file, also when read from its copy.
        parsed = f"select * replace ({sql_string(path)} as source_file) from ({parse(readable)})"
        return stage_parsed_flows(con, parsed, week, str(path))

    return stage_text_file(con, FLOW_RECORDS.name, path, stage)
