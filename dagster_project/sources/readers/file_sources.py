"""The declarative description of real sources in sources.yaml (`kind: files`).

Each flow source names a path glob, the collector format, the service its exporters
serve, the time zone of naive timestamps in the files, and the sampling interval where
the data does not carry it. `{week_start}` in a path is replaced by the partition key, so
that a week reads only its own directory; without it every matching file is read and
records outside the week are quarantined.
"""

import glob
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

FLOW_FORMATS = (
    "nfcapd",
    "nfdump_csv",
    "goflow2_json",
    "pmacct_json",
    "pmacct_csv",
    "canonical_parquet",
    "canonical_csv",
)
TABLE_FORMATS = ("csv", "parquet")
TABLE_KINDS = ("assignments", "usage_counters", "monthly_totals")
SERVICES = ("broadband", "mobile")


class SourceConfigError(ValueError):
    """sources.yaml does not describe a usable source."""


@dataclass(frozen=True)
class FlowSource:
    name: str
    format: str
    path: str
    service: str = "broadband"
    timezone: str = "UTC"
    # Sampling interval of the exporters when the records do not carry it (nfdump CSV,
    # pmacct, GoFlow2 records that arrive before the exporter's options).
    sampling_interval: int | None = None
    # Whether bytes/packets in the files are already multiplied by the sampling interval;
    # None means the format's own convention (see each reader).
    counts_scaled: bool | None = None


@dataclass(frozen=True)
class TableSource:
    name: str
    table: str
    format: str
    path: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class FileSources:
    flows: tuple[FlowSource, ...]
    tables: tuple[TableSource, ...]

    def tables_for(self, table: str) -> tuple[TableSource, ...]:
        return tuple(source for source in self.tables if source.table == table)


def _require(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise SourceConfigError(f"{where}: missing '{key}'")
    return entry[key]


def _resolve(path: str, base_dir: Path) -> str:
    expanded = Path(path).expanduser()
    return str(expanded if expanded.is_absolute() else base_dir / expanded)


def _flow_source(entry: dict[str, Any], base_dir: Path, where: str) -> FlowSource:
    source = FlowSource(
        name=str(_require(entry, "name", where)),
        format=str(_require(entry, "format", where)),
        path=_resolve(str(_require(entry, "path", where)), base_dir),
        service=str(entry.get("service", "broadband")),
        timezone=str(entry.get("timezone", "UTC")),
        sampling_interval=entry.get("sampling_interval"),
        counts_scaled=entry.get("counts_scaled"),
    )
    if source.format not in FLOW_FORMATS:
        raise SourceConfigError(f"{where}: format must be one of {', '.join(FLOW_FORMATS)}")
    if source.service not in SERVICES:
        raise SourceConfigError(f"{where}: service must be one of {', '.join(SERVICES)}")
    interval = source.sampling_interval
    if interval is not None and (not isinstance(interval, int) or interval < 1):
        raise SourceConfigError(f"{where}: sampling_interval must be a positive integer")
    return source


def _table_source(entry: dict[str, Any], table: str, base_dir: Path, where: str) -> TableSource:
    source = TableSource(
        name=str(_require(entry, "name", where)),
        table=table,
        format=str(_require(entry, "format", where)),
        path=_resolve(str(_require(entry, "path", where)), base_dir),
        timezone=str(entry.get("timezone", "UTC")),
    )
    if source.format not in TABLE_FORMATS:
        raise SourceConfigError(f"{where}: format must be one of {', '.join(TABLE_FORMATS)}")
    return source


def parse_file_sources(section: dict[str, Any], base_dir: Path) -> FileSources:
    """Read the `files:` section of sources.yaml; relative paths are from base_dir."""
    flows = tuple(
        _flow_source(entry, base_dir, f"files.flows[{index}]")
        for index, entry in enumerate(section.get("flows") or [])
    )
    tables = tuple(
        _table_source(entry, table, base_dir, f"files.{table}[{index}]")
        for table in TABLE_KINDS
        for index, entry in enumerate(section.get(table) or [])
    )
    names = [source.name for source in (*flows, *tables)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SourceConfigError(f"files: source names must be unique: {', '.join(duplicates)}")
    if not flows:
        raise SourceConfigError("files.flows: at least one flow source is required")
    return FileSources(flows=flows, tables=tables)


def files_for_week(pattern: str, week_start: date | None) -> list[Path]:
    """The files a source contributes to one week (or to the unpartitioned tables)."""
    if week_start is not None:
        pattern = pattern.replace("{week_start}", week_start.isoformat())
    files = sorted(Path(path) for path in glob.glob(pattern) if Path(path).is_file())
    if not files:
        raise FileNotFoundError(f"no input files match {pattern}")
    return files
