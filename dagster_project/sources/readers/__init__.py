"""Reading what flow collectors and ISP systems write into the canonical raw tables.

One module per format family (nfdump, goflow2, pmacct, canonical, tables); parsing is
done by DuckDB (numpy for the records of nfcapd files), file by file, and every rejected
record lands in the quarantine with its file, row and reason. `stage_week` fills the temp
tables `staged_flows` (addresses as text), `staged_flow_numbers` (addresses as numbers:
nfcapd files read directly), `staged_assignments`, `staged_usage_counters` and
`staged_quarantine` that `sources.load_week` writes into the week's new files (the flows
file by file, as each is read).
"""

import glob
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePath

import duckdb

from dagster_project.sources.raw_schema import (
    ASSIGNMENT_RECORDS,
    MONTHLY_TOTALS,
    USAGE_COUNTERS,
    RawTable,
)
from dagster_project.sources.readers import canonical, goflow2, nfdump, pmacct, table_files
from dagster_project.sources.readers.encoding import stage_flow_file
from dagster_project.sources.readers.protocol_names import register_protocol_tables
from dagster_project.sources.readers.quarantine import FileCounts, create_staging_tables
from dagster_project.sources.source_config import FileSources, FlowSource
from dagster_project.weeks.analysis_week import AnalysisWeek

# Beyond this many files a source's provenance names the first and the last ones, and gives
# one digest of all their contents instead of one per file.
MAX_LISTED_FILES = 12
# Hex digits of a content digest shown in provenance: enough to tell deliveries apart.
SHOWN_DIGEST = 12
# Suffixes under which uploads and copies are written before the rename that completes them.
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial")

logger = logging.getLogger(__name__)

FlowParser = Callable[[duckdb.DuckDBPyConnection, FlowSource, Path], str]
FlowReader = Callable[[duckdb.DuckDBPyConnection, FlowSource, Path, AnalysisWeek], FileCounts]


def _staging(parse: FlowParser) -> FlowReader:
    """A reader that checks and stages the records `parse` makes of a file."""

    def read(
        con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path, week: AnalysisWeek
    ) -> FileCounts:
        return stage_flow_file(con, lambda readable: parse(con, source, readable), path, week)

    return read


# One reader per `format` of sources.yaml.
FLOW_READERS: dict[str, FlowReader] = {
    "nfcapd": nfdump.read_nfcapd_file,
    "nfdump_csv": _staging(nfdump.csv_file_sql),
    "goflow2_json": _staging(lambda _con, source, path: goflow2.parsed_sql(source, path)),
    "pmacct_json": _staging(lambda _con, source, path: pmacct.json_sql(source, path)),
    "pmacct_csv": _staging(pmacct.csv_sql),
    "canonical_parquet": canonical.read_parquet_file,
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
    # The files to read with the digest of each, and matched files skipped as unfinished.
    inputs: dict[Path, str] = field(default_factory=dict)
    unfinished: list[str] = field(default_factory=list)
    # Whether the source says that identical files are expected (allow_duplicate_files).
    duplicates_allowed: bool = False
    # The folder the source's glob starts from: pages name files relative to it.
    root: Path = Path()

    def add(self, counts: FileCounts) -> None:
        self.files.append(counts.path)
        self.rows += counts.rows
        for reason, count in counts.quarantined.items():
            self.quarantined[reason] = self.quarantined.get(reason, 0) + count


def _empty_staged(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    con.execute(table.create_staging_sql(f"staged_{table.name}"))


def is_unfinished(path: PurePath) -> bool:
    """Whether a file is still being written, by its name: nfcapd (and nfpcapd) write
    `nfcapd.current.<pid>` and rename it when the interval ends; uploaders and copies write
    a hidden `.name` or `name.tmp`/`.part`/`.partial` and rename it when complete.

    Reading such a file would count a partial interval now and all of it again later.
    """
    return path.name.startswith((".", "nfcapd.current")) or path.suffix in IN_PROGRESS_SUFFIXES


@dataclass(frozen=True)
class MatchedFiles:
    """What a source's glob matched: complete files, and unfinished ones left for later."""

    files: list[Path]
    unfinished: list[Path]


def files_for_week(pattern: str, week_start: date | None) -> MatchedFiles:
    """The files a source contributes to one week (or to the unpartitioned tables).

    The glob is expanded here and only here; readers then read each file by its literal
    name (`sql_literals.literal_path_sql`).
    """
    if week_start is not None:
        pattern = pattern.replace("{week_start}", week_start.isoformat())
    matched = sorted(Path(path) for path in glob.glob(pattern) if Path(path).is_file())
    unfinished = [path for path in matched if is_unfinished(path)]
    files = [path for path in matched if not is_unfinished(path)]
    if not files:
        skipped = f" ({len(unfinished)} unfinished file(s) skipped)" if unfinished else ""
        raise FileNotFoundError(f"no input files match {pattern}{skipped}")
    return MatchedFiles(files, unfinished)


def content_digest(path: Path) -> str:
    """BLAKE2b of a file's bytes, read in chunks (bounded memory for any file size)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "blake2b").hexdigest()


class DuplicateInputError(RuntimeError):
    """Two inputs of one load with the same bytes; the message names both and their sources."""


@contextmanager
def _naming_file(path: Path) -> Iterator[None]:
    """Turn a failure to read `path` into an error that names the file."""
    try:
        yield
    except (duckdb.Error, ValueError, nfdump.NfdumpError, OSError) as error:
        raise UnreadableFileError(f"cannot read {path}: {error}") from error


def _planned(
    name: str,
    table: str,
    file_format: str,
    pattern: str,
    week_start: date | None,
    duplicates_allowed: bool = False,
) -> SourceLoad:
    """A source's load before anything is read: its files with their digests."""
    matched = files_for_week(pattern, week_start)
    if matched.unfinished:
        logger.warning(
            "source %s: skipped %d unfinished file(s), still being written: %s",
            name,
            len(matched.unfinished),
            ", ".join(str(path) for path in matched.unfinished),
        )
    load = SourceLoad(name=name, table=table, format=file_format, root=source_root(pattern))
    load.unfinished = [str(path) for path in matched.unfinished]
    load.duplicates_allowed = duplicates_allowed
    for path in matched.files:
        with _naming_file(path):
            load.inputs[path] = content_digest(path)
    return load


# Enough of a file's start to tell a header-only export from one with records.
HEADER_PROBE_BYTES = 1 << 16


def _may_hold_records(path: Path) -> bool:
    """False for an empty file and for a text file of one line (an idle exporter's header-only
    export, which is the same every time it is written)."""
    with path.open("rb") as handle:
        start = handle.read(HEADER_PROBE_BYTES)
    return len(start) == HEADER_PROBE_BYTES or len(start.splitlines()) > 1


def refuse_duplicates(loads: list[SourceLoad]) -> None:
    """Fail when two inputs of one load have the same bytes: a file delivered twice under
    another name, or matched by two sources, would be counted twice.

    Copies are let through only when every source involved allows duplicates, and one file
    matched twice never is; empty and header-only files hold nothing to count twice.
    """
    copies: dict[str, list[tuple[Path, SourceLoad]]] = {}
    for load in loads:
        for path, digest in load.inputs.items():
            if _may_hold_records(path):
                copies.setdefault(digest, []).append((path, load))
    problems = []
    for same in copies.values():
        one_file_twice = len({path.resolve() for path, _ in same}) < len(same)
        allowed = all(load.duplicates_allowed for _, load in same) and not one_file_twice
        if len(same) > 1 and not allowed:
            problems.append(
                " and ".join(f"{path} (source {load.name}, {load.table})" for path, load in same)
            )
    if problems:
        raise DuplicateInputError(
            "identical input files, which would be counted twice: "
            + "; ".join(problems)
            + ". Remove the copy or narrow the source's path; a flow source whose files may "
            "legitimately repeat says allow_duplicate_files: true."
        )


def prepare_staging(con: duckdb.DuckDBPyConnection) -> None:
    """What the readers of a week stage into: every weekly staged_<table> empty, the protocol
    name tables and the address macro."""
    register_protocol_tables(con)
    create_staging_tables(con)
    for table in (ASSIGNMENT_RECORDS, USAGE_COUNTERS):
        _empty_staged(con, table)


def stage_week(
    con: duckdb.DuckDBPyConnection,
    week: AnalysisWeek,
    sources: FileSources,
    after_flow_file: Callable[[], None] = lambda: None,
) -> list[SourceLoad]:
    """Read every configured file source for one week into the staged_* temp tables.

    `after_flow_file` runs after each flow file is staged: the caller may take that file's
    staged flows away (the load writes them as the week's next file), so that the flows of
    a week are never staged whole."""
    prepare_staging(con)
    flow_loads = [
        _planned(
            source.name,
            "flows",
            source.format,
            source.path,
            week.start,
            source.allow_duplicate_files,
        )
        for source in sources.flows
    ]
    table_loads = [
        (
            table,
            table_source,
            _planned(
                table_source.name, table.name, table_source.format, table_source.path, week.start
            ),
        )
        for table, table_sources in (
            (ASSIGNMENT_RECORDS, sources.assignments),
            (USAGE_COUNTERS, sources.usage_counters),
        )
        for table_source in table_sources
    ]
    # Every input of the week is compared with every other before any is read.
    refuse_duplicates(flow_loads + [load for _, _, load in table_loads])
    for source, load in zip(sources.flows, flow_loads, strict=True):
        reader = FLOW_READERS[source.format]
        for path in load.inputs:
            with _naming_file(path):
                load.add(reader(con, source, path, week))
            after_flow_file()
    for table, table_source, load in table_loads:
        for path in load.inputs:
            with _naming_file(path):
                load.add(table_files.stage_week_table(con, table, table_source, path, week))
    return flow_loads + [load for _, _, load in table_loads]


def stage_monthly_totals(con: duckdb.DuckDBPyConnection, sources: FileSources) -> list[SourceLoad]:
    """Read the configured monthly totals files into the temp table staged_monthly_totals."""
    _empty_staged(con, MONTHLY_TOTALS)
    loads = [
        _planned(source.name, MONTHLY_TOTALS.name, source.format, source.path, None)
        for source in sources.monthly_totals
    ]
    refuse_duplicates(loads)
    for source, load in zip(sources.monthly_totals, loads, strict=True):
        for path in load.inputs:
            with _naming_file(path):
                rows = table_files.stage_monthly_totals(con, source, path)
            load.add(FileCounts(str(path), rows=rows))
    return loads


def source_root(pattern: str) -> Path:
    """The folder a source's glob starts from: its leading folders without a wildcard or
    `{week_start}`."""
    fixed: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if any(mark in part for mark in "*?[{"):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path()


def _relative(path: str, root: Path) -> str:
    """A file as pages show it: relative to its source's root, never the machine's layout."""
    file = Path(path)
    return str(file.relative_to(root)) if file.is_relative_to(root) else file.name


def _file_list(paths: list[str], root: Path) -> str:
    """Every file of a small load; the first and last ones of a long one."""
    files = [_relative(path, root) for path in paths]
    if len(files) <= MAX_LISTED_FILES:
        return ", ".join(files)
    shown = files[: MAX_LISTED_FILES - 1]
    return f"{', '.join(shown)}, ... ({len(files) - len(shown) - 1} more), {files[-1]}"


def _digest_list(inputs: dict[Path, str]) -> str:
    """The start of each file's digest; for a long load one digest of all of them."""
    if len(inputs) <= MAX_LISTED_FILES:
        return ", ".join(f"{path.name} {digest[:SHOWN_DIGEST]}" for path, digest in inputs.items())
    combined = hashlib.blake2b("".join(inputs.values()).encode()).hexdigest()
    return f"{len(inputs)} files, all together {combined[:SHOWN_DIGEST]}"


def provenance(loads: list[SourceLoad]) -> dict[str, str]:
    """Flat, human-readable provenance of a load for asset metadata and the report."""
    described = {
        f"source/{load.name}": (
            f"{load.format} {load.table}: {len(load.files)} file(s), {load.rows} rows"
            + (f", {sum(load.quarantined.values())} quarantined" if load.quarantined else "")
            + f" [{_file_list(load.files, load.root)}]"
        )
        for load in loads
    }
    for load in loads:
        described[f"blake2b/{load.name}"] = _digest_list(load.inputs)
        if load.unfinished:
            described[f"unfinished/{load.name}"] = (
                f"{len(load.unfinished)} file(s) skipped, still being written: "
                + _file_list(load.unfinished, load.root)
            )
    return {
        "source": "real",
        "sources": ", ".join(f"{load.name} ({load.format} {load.table})" for load in loads),
        "files": str(sum(len(load.files) for load in loads)),
        **described,
    }


__all__ = [
    "FLOW_READERS",
    "DuplicateInputError",
    "SourceLoad",
    "UnreadableFileError",
    "provenance",
    "stage_monthly_totals",
    "stage_week",
]
