"""Paths and knobs that come from the environment, with defaults under the git-ignored data/."""

import os
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


def _path_from_env(name: str, default: Path) -> Path:
    return Path(os.environ.get(name) or default).resolve()


def data_dir() -> Path:
    """Root of all local run state (warehouse, Dagster home, data docs)."""
    return _path_from_env("TRAFFICREPORT_DATA_DIR", PROJECT_ROOT / "data")


def warehouse_path() -> Path:
    """The DuckDB warehouse shared by the raw assets and dbt (dbt/profiles.yml reads the same)."""
    return _path_from_env("TRAFFICREPORT_DUCKDB", data_dir() / "warehouse.duckdb")


def raw_dir(warehouse_file: Path | None = None) -> Path:
    """The raw layer's Parquet (sources/raw_lake.py): beside the warehouse file it belongs to
    (`<its folder>/raw`), or TRAFFICREPORT_RAW_DIR, e.g. storage a Spark cluster shares."""
    beside = (warehouse_file or warehouse_path()).parent / "raw"
    return _path_from_env("TRAFFICREPORT_RAW_DIR", beside)


def output_dir() -> Path:
    """Where figures, tables and the report are written."""
    return _path_from_env("TRAFFICREPORT_OUTPUT_DIR", PROJECT_ROOT / "assets")


def inbox_dir() -> Path:
    """Folder the inbox sensor watches for new flow exports."""
    return _path_from_env("TRAFFICREPORT_INBOX", data_dir() / "inbox")


def analysis_timezone() -> str:
    """Time zone that defines days, hours and week boundaries of the analysis."""
    return os.environ.get("TRAFFICREPORT_TZ", "Asia/Tokyo")


# A quarter of the machine's memory (DuckDB reads a percentage of the physical memory it
# detects): a run's whole process tree (Python, pandas frames, the dbt process and DuckDB)
# then peaks at about a third of the machine; larger intermediates spill to disk.
DEFAULT_DUCKDB_MEMORY_LIMIT = "25%"


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for every warehouse connection and for dbt (dbt/profiles.yml
    reads the same variable): a size (`8GB`) or a share of the machine (`25%`, the default);
    larger intermediates spill to a temporary directory."""
    return os.environ.get("TRAFFICREPORT_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT


DEFAULT_FIRST_WEEK = "2019-01-07"


def first_week() -> date:
    """The first analysis week (a Monday): the partitions start here, and the CLI and the inbox
    refuse earlier weeks. An ISP with older archives sets TRAFFICREPORT_FIRST_WEEK."""
    text = os.environ.get("TRAFFICREPORT_FIRST_WEEK") or DEFAULT_FIRST_WEEK
    try:
        monday = date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"TRAFFICREPORT_FIRST_WEEK={text!r} is not a date (YYYY-MM-DD)") from error
    if monday.weekday() != 0:
        raise ValueError(f"TRAFFICREPORT_FIRST_WEEK={text} is not a Monday")
    return monday


DEFAULT_WAREHOUSE_WAIT_SECONDS = 7200.0


def warehouse_wait_seconds() -> float:
    """How long a run waits for another run's hold on the warehouse before it fails: long
    enough for a queue of real weeks ahead of it, short enough that a hang gets noticed."""
    text = os.environ.get("TRAFFICREPORT_WAREHOUSE_WAIT_SECONDS") or ""
    if not text:
        return DEFAULT_WAREHOUSE_WAIT_SECONDS
    try:
        seconds = float(text)
    except ValueError as error:
        raise ValueError(
            f"TRAFFICREPORT_WAREHOUSE_WAIT_SECONDS={text!r} is not a number of seconds"
        ) from error
    if seconds < 0:
        raise ValueError(f"TRAFFICREPORT_WAREHOUSE_WAIT_SECONDS={text} is negative")
    return seconds


def dbt_unit_tests() -> bool:
    """Whether the weekly and cross-week dbt builds also run the dbt unit tests. They check
    the models' SQL on fixed rows, not the week's data, so the test suite runs them on both
    engines and a build leaves them out, as dbt advises for production; 1 runs them in the
    builds too, on the engine the platform runs on (e.g. after upgrading DuckDB or Spark)."""
    text = os.environ.get("TRAFFICREPORT_DBT_UNIT_TESTS") or "0"
    if text not in ("0", "1"):
        raise ValueError(f"TRAFFICREPORT_DBT_UNIT_TESTS={text!r} is not 0 or 1")
    return text == "1"


ENGINES = ("duckdb", "spark")


def dbt_engine() -> str:
    """The engine the dbt models run on (dbt/profiles.yml reads the same variable): duckdb,
    the embedded default, or spark (docs/scale-out.md). Everything else stays in DuckDB."""
    engine = os.environ.get("TRAFFICREPORT_ENGINE") or "duckdb"
    if engine not in ENGINES:
        raise ValueError(f"TRAFFICREPORT_ENGINE={engine!r} is not one of {', '.join(ENGINES)}")
    return engine


def spark_dir() -> Path:
    """The Spark engine's files: its warehouse of model tables, its metastore and the raw
    week it reads (dbt/profiles.yml and dbt/macros/spark_raw.sql read the same variable)."""
    return _path_from_env("TRAFFICREPORT_SPARK_DIR", data_dir() / "spark")
