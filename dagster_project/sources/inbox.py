"""The inbox of flow exports: which files are new, and which analysis weeks their flows cover.

A file's weeks come from its name where the name says it (`nfcapd.YYYYMMDDhhmm`, or a
folder named after the week's Monday as in `{week_start}` source paths), otherwise from the
flow start times inside it, read with DuckDB (canonical Parquet/CSV `flow_start`, nfdump CSV
`firstSeen`/`ts`, GoFlow2 JSON `time_flow_start_ns`, pmacct `timestamp_start`). Times
without a zone (nfcapd names, nfdump and pmacct local times) are read in the `timezone` of
the sources.yaml flow source whose path matches the file; weeks are analysis-zone weeks.
"""

import glob
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import duckdb

from dagster_project.sources.readers import is_unfinished
from dagster_project.sources.source_config import FlowSource
from dagster_project.sources.sql_literals import literal_path_sql

NFCAPD_NAME = re.compile(r"^nfcapd\.(\d{12})$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Flow start column -> whether its values are UTC (else local time of the file's zone).
# Checked in this order; the first column a file has decides.
FLOW_START_COLUMNS: dict[str, bool] = {
    "flow_start": True,  # canonical schema, naive UTC
    "time_flow_start_ns": True,  # GoFlow2, Unix epoch nanoseconds
    "firstSeen": False,  # nfdump >= 1.7.5 CSV
    "ts": False,  # nfdump 1.7.0-1.7.4 CSV
    "timestamp_start": False,  # pmacct print plugin
}


class UndatableFileError(ValueError):
    """A file whose analysis week cannot be told; the message names the file and why."""


@dataclass(frozen=True)
class InboxFile:
    """A complete file in the inbox; `changed_ns` is its ctime, which a copy cannot backdate."""

    name: str  # path relative to the inbox, with forward slashes
    changed_ns: int
    size: int


def _in_progress(relative: PurePosixPath) -> bool:
    """A file still being written (the readers' rule), or one inside a hidden folder."""
    return is_unfinished(relative) or any(part.startswith(".") for part in relative.parts[:-1])


def scan_inbox(inbox: Path) -> list[InboxFile]:
    """Every complete file under the inbox, in the order they arrived."""
    if not inbox.is_dir():
        return []
    files = []
    for path in inbox.rglob("*"):
        relative = PurePosixPath(path.relative_to(inbox).as_posix())
        if not path.is_file() or _in_progress(relative):
            continue
        stat = path.stat()
        files.append(InboxFile(str(relative), stat.st_ctime_ns, stat.st_size))
    return sorted(files, key=lambda f: (f.changed_ns, f.name))


@dataclass(frozen=True)
class InboxCursor:
    """High-water mark of the files handled: their latest ctime and the names at that time."""

    changed_ns: int = 0
    names_at_mark: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, text: str | None) -> "InboxCursor":
        if not text:
            return cls()
        state = json.loads(text)
        return cls(state["changed_ns"], frozenset(state["names_at_mark"]))

    def serialize(self) -> str:
        return json.dumps(
            {"changed_ns": self.changed_ns, "names_at_mark": sorted(self.names_at_mark)}
        )

    def is_new(self, file: InboxFile) -> bool:
        if file.changed_ns != self.changed_ns:
            return file.changed_ns > self.changed_ns
        return file.name not in self.names_at_mark

    def advanced_past(self, handled: Iterable[InboxFile]) -> "InboxCursor":
        handled = list(handled)
        if not handled:
            return self
        mark = max(f.changed_ns for f in handled)
        names = {f.name for f in handled if f.changed_ns == mark}
        if mark == self.changed_ns:
            names |= self.names_at_mark
        return InboxCursor(mark, frozenset(names))


def file_set_digest(files: Iterable[InboxFile]) -> str:
    """Short stable name of a set of file versions, for run keys."""
    text = "\n".join(sorted(f"{f.name}:{f.changed_ns}:{f.size}" for f in files))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def monday_of(day: date) -> date:
    return date.fromordinal(day.toordinal() - day.weekday())


@dataclass(frozen=True)
class Zones:
    """The zone of a file's naive times, and the analysis zone whose weeks are partitions."""

    file: str
    analysis: str


def _week_from_name(relative: PurePosixPath, zones: Zones) -> date | None:
    for folder in relative.parts[:-1]:
        if ISO_DATE.match(folder):
            return monday_of(date.fromisoformat(folder))
    match = NFCAPD_NAME.match(relative.name)
    if match:
        naive = datetime.strptime(match.group(1), "%Y%m%d%H%M")
        local = naive.replace(tzinfo=ZoneInfo(zones.file)).astimezone(ZoneInfo(zones.analysis))
        return monday_of(local.date())
    return None


def _relation_sql(path: Path) -> str | None:
    # The file by its literal name: DuckDB would expand glob characters in it.
    quoted = literal_path_sql(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet({quoted})"
    if suffix == ".csv":
        # Every field as text and ragged rows padded: nfdump's trailing summary block and
        # malformed rows must not stop the dating (the readers quarantine them later).
        return f"read_csv({quoted}, header=true, all_varchar=true, null_padding=true)"
    if suffix in (".json", ".jsonl", ".ndjson"):
        return f"read_json({quoted}, format='newline_delimited', ignore_errors=true)"
    return None


def _local_start_sql(column: str, zones: Zones) -> str:
    """The column's flow start as a naive time of the analysis zone."""
    quoted = f'"{column}"'
    if column == "time_flow_start_ns":
        naive = f"make_timestamp(try_cast({quoted} as bigint) // 1000)"
    else:
        naive = f"try_cast({quoted} as timestamp)"
    naive_zone = "UTC" if FLOW_START_COLUMNS[column] else zones.file
    return f"(({naive}) at time zone '{naive_zone}') at time zone '{zones.analysis}'"


def _weeks_from_content(con: duckdb.DuckDBPyConnection, path: Path, zones: Zones) -> list[date]:
    relation = _relation_sql(path)
    if relation is None:
        raise UndatableFileError(f"{path}: no week in the name and no reader for its suffix")
    columns = {row[0] for row in con.execute(f"describe select * from {relation}").fetchall()}
    column = next((name for name in FLOW_START_COLUMNS if name in columns), None)
    if column is None:
        expected = ", ".join(FLOW_START_COLUMNS)
        raise UndatableFileError(f"{path}: no flow start column (one of {expected})")
    local_start = _local_start_sql(column, zones)
    rows = con.execute(
        f"select distinct date_trunc('week', {local_start})::date from {relation} "
        f"where {local_start} is not null order by 1"
    ).fetchall()
    if not rows:
        raise UndatableFileError(f"{path}: no record has a readable {column}")
    return [row[0] for row in rows]


def weeks_of_file(inbox: Path, file: InboxFile, zones: Zones) -> list[date]:
    """Mondays of the analysis weeks the file's flows fall in, oldest first."""
    relative = PurePosixPath(file.name)
    week = _week_from_name(relative, zones)
    if week is not None:
        return [week]
    path = inbox / relative
    with duckdb.connect() as con:
        try:
            return _weeks_from_content(con, path, zones)
        except duckdb.Error as error:
            raise UndatableFileError(f"{path}: {error}") from error


@dataclass
class InboxPlan:
    """What one look at the inbox found: new files by week, and the files no run is for."""

    ready: dict[date, list[InboxFile]] = field(default_factory=dict)
    open_weeks: dict[date, list[InboxFile]] = field(default_factory=dict)
    outside: dict[date, list[InboxFile]] = field(default_factory=dict)
    undated: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    cursor: InboxCursor = field(default_factory=InboxCursor)


def plan_inbox(
    inbox: Path,
    cursor: InboxCursor,
    *,
    first_week: date,
    ready_from: date,
    analysis_tz: str,
    file_timezone: Callable[[Path], str | None],
    max_files: int,
) -> InboxPlan:
    """Sort the new files of the inbox by analysis week.

    `file_timezone` gives the zone of a file's naive times, or None for a file that no
    configured source reads (a run would not see it). Weeks before `first_week` are outside
    the partitions; weeks from `ready_from` on are still open (the weekly schedule
    materializes them once they end). At most `max_files` files are read per call so that
    one look stays short; the cursor stops after them.
    """
    new_files = [f for f in scan_inbox(inbox) if cursor.is_new(f)][:max_files]
    plan = InboxPlan(cursor=cursor.advanced_past(new_files))
    for file in new_files:
        file_tz = file_timezone(inbox / file.name)
        if file_tz is None:
            plan.unread.append(file.name)
            continue
        try:
            weeks = weeks_of_file(inbox, file, Zones(file=file_tz, analysis=analysis_tz))
        except UndatableFileError as error:
            plan.undated.append(str(error))
            continue
        for week in weeks:
            if week < first_week:
                bucket = plan.outside
            elif week >= ready_from:
                bucket = plan.open_weeks
            else:
                bucket = plan.ready
            bucket.setdefault(week, []).append(file)
    return plan


def timezone_by_flow_source(flow_sources: Iterable[FlowSource]) -> Callable[[Path], str | None]:
    """The zone of the first flow source that reads a file (in any week), as its glob does.

    The globs are expanded on the first question only: most sensor ticks find no new file.
    """
    patterns = [
        (source.path.replace("{week_start}", "*"), source.timezone) for source in flow_sources
    ]

    @cache
    def zone_of_path() -> dict[str, str]:
        zones: dict[str, str] = {}
        for pattern, zone in patterns:
            for path in glob.glob(pattern):
                zones.setdefault(str(Path(path).resolve()), zone)
        return zones

    def timezone_of(path: Path) -> str | None:
        return zone_of_path().get(str(path.resolve()))

    return timezone_of
