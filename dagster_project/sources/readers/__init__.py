"""Reading what flow collectors and ISP systems write into the canonical raw tables.

One module per format family (nfdump, goflow2, pmacct, canonical, tables); parsing is
done by DuckDB, file by file, and every rejected record lands in the quarantine with its
file, row and reason. `stage_week` fills the temp tables `staged_flows`,
`staged_assignments`, `staged_usage_counters` and `staged_quarantine` that
`sources.load_week` then swaps into the warehouse in one go.
"""

import glob
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.sources.raw_schema import ASSIGNMENTS, MONTHLY_TOTALS, USAGE_COUNTERS, RawTable
from dagster_project.sources.readers import canonical, goflow2, nfdump, pmacct, table_files
from dagster_project.sources.readers.protocol_names import register_protocol_tables
from dagster_project.sources.readers.quarantine import (
    FileCounts,
    create_staging_tables,
    stage_parsed_flows,
)
from dagster_project.sources.source_config import FileSources, FlowSource
from dagster_project.weeks.analysis_week import AnalysisWeek

# Beyond this many files a source's provenance names the first and the last ones.
MAX_LISTED_FILES = 12

FlowParser = Callable[[duckdb.DuckDBPyConnection, FlowSource, Path], str]
FlowReader = Callable[[duckdb.DuckDBPyConnection, FlowSource, Path, AnalysisWeek], FileCounts]


def _staging(parse: FlowParser) -> FlowReader:
    """A reader that checks and stages the records `parse` makes of a file."""

    def read(
        con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path, week: AnalysisWeek
    ) -> FileCounts:
        return stage_parsed_flows(con, parse(con, source, path), week, str(path))

    return read


# One reader per `format` of sources.yaml.
FLOW_READERS: dict[str, FlowReader] = {
    "nfcapd": nfdump.read_nfcapd_file,
    "nfdump_csv": _staging(nfdump.csv_file_sql),
    "goflow2_json": _staging(lambda _con, source, path: goflow2.parsed_sql(source, path)),
    "pmacct_json": _staging(lambda _con, source, path: pmacct.json_sql(source, path)),
    "pmacct_csv": _staging(pmacct.csv_sql),
    "canonical_parquet": _staging(lambda _con, source, path: canonical.parquet_sql(source, path)),
    "canonical_csv": _staging(canonical.csv_sql),
}


class UnreadableFileError(RuntimeError):
    """An input file that cannot be read at all; the message names it."""


@dataclass
class SourceLoad:
    """What one configured source contributed to a load."""

    name: str
    table: str
    format: str
    files: list[str] = field(default_factory=list)
    rows: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)

    def add(self, counts: FileCounts) -> None:
        self.files.append(counts.path)
        self.rows += counts.rows
        for reason, count in counts.quarantined.items():
            self.quarantined[reason] = self.quarantined.get(reason, 0) + count


def _empty_staged(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    columns = ", ".join(name for name in table.column_names if name != "week_start")
    con.execute(
        f"create or replace temp table staged_{table.name} as "
        f"select {columns} from {table.qualified_name} limit 0"
    )


def files_for_week(pattern: str, week_start: date | None) -> list[Path]:
    """The files a source contributes to one week (or to the unpartitioned tables)."""
    if week_start is not None:
        pattern = pattern.replace("{week_start}", week_start.isoformat())
    files = sorted(Path(path) for path in glob.glob(pattern) if Path(path).is_file())
    if not files:
        raise FileNotFoundError(f"no input files match {pattern}")
    return files


@contextmanager
def _naming_file(path: Path) -> Iterator[None]:
    """Turn a failure to read `path` into an error that names the file."""
    try:
        yield
    except (duckdb.Error, ValueError, nfdump.NfdumpError, OSError) as error:
        raise UnreadableFileError(f"cannot read {path}: {error}") from error


def stage_week(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek, sources: FileSources
) -> list[SourceLoad]:
    """Read every configured file source for one week into the staged_* temp tables."""
    register_protocol_tables(con)
    create_staging_tables(con)
    for table in (ASSIGNMENTS, USAGE_COUNTERS):
        _empty_staged(con, table)
    loads: list[SourceLoad] = []
    for source in sources.flows:
        load = SourceLoad(name=source.name, table="flows", format=source.format)
        reader = FLOW_READERS[source.format]
        for path in files_for_week(source.path, week.start):
            with _naming_file(path):
                load.add(reader(con, source, path, week))
        loads.append(load)
    for table, table_sources in (
        (ASSIGNMENTS, sources.assignments),
        (USAGE_COUNTERS, sources.usage_counters),
    ):
        for table_source in table_sources:
            load = SourceLoad(name=table_source.name, table=table.name, format=table_source.format)
            for path in files_for_week(table_source.path, week.start):
                with _naming_file(path):
                    load.add(table_files.stage_week_table(con, table, table_source, path, week))
            loads.append(load)
    return loads


def stage_monthly_totals(con: duckdb.DuckDBPyConnection, sources: FileSources) -> list[SourceLoad]:
    """Read the configured monthly totals files into the temp table staged_monthly_totals."""
    _empty_staged(con, MONTHLY_TOTALS)
    loads = []
    for source in sources.monthly_totals:
        load = SourceLoad(name=source.name, table=MONTHLY_TOTALS.name, format=source.format)
        for path in files_for_week(source.path, None):
            with _naming_file(path):
                rows = table_files.stage_monthly_totals(con, source, path)
            load.add(FileCounts(str(path), rows=rows))
        loads.append(load)
    return loads


def _file_list(files: list[str]) -> str:
    """Every file of a small load; the first and last ones of a long one."""
    if len(files) <= MAX_LISTED_FILES:
        return ", ".join(files)
    shown = files[: MAX_LISTED_FILES - 1]
    return f"{', '.join(shown)}, ... ({len(files) - len(shown) - 1} more), {files[-1]}"


def provenance(loads: list[SourceLoad]) -> dict[str, str]:
    """Flat, human-readable provenance of a load for asset metadata and the report."""
    described = {
        f"source/{load.name}": (
            f"{load.format} {load.table}: {len(load.files)} file(s), {load.rows} rows"
            + (f", {sum(load.quarantined.values())} quarantined" if load.quarantined else "")
            + f" [{_file_list(load.files)}]"
        )
        for load in loads
    }
    return {
        "source": "real",
        "sources": ", ".join(f"{load.name} ({load.format} {load.table})" for load in loads),
        "files": str(sum(len(load.files) for load in loads)),
        **described,
    }


__all__ = [
    "FLOW_READERS",
    "SourceLoad",
    "UnreadableFileError",
    "provenance",
    "stage_monthly_totals",
    "stage_week",
]
