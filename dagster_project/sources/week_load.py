"""Loading one analysis week of raw inputs from the configured sources into the warehouse."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dagster_project.settings import PROJECT_ROOT
from dagster_project.sources import readers, synthetic
from dagster_project.sources.raw_schema import (
    ASSIGNMENTS,
    FLOWS,
    MONTHLY_TOTALS,
    QUARANTINE,
    USAGE_COUNTERS,
    RawTable,
)
from dagster_project.sources.raw_tables import (
    ensure_raw_tables,
    replace_table,
    replace_weeks,
    stage,
)
from dagster_project.weeks.analysis_week import AnalysisWeek


def sources_config_path() -> Path:
    return Path(os.environ.get("TRAFFICREPORT_SOURCES") or PROJECT_ROOT / "sources.yaml")


def read_sources_config(path: Path | None = None) -> dict[str, Any]:
    path = path or sources_config_path()
    with path.open() as handle:
        config = yaml.safe_load(handle) or {}
    if config.get("kind") not in ("synthetic", "files"):
        raise ValueError(f"{path}: 'kind' must be 'synthetic' or 'files'")
    if config["kind"] == "files":
        # Relative paths in the files section are relative to the configuration file.
        config["file_sources"] = readers.parse_file_sources(config.get("files") or {}, path.parent)
    return config


@dataclass
class LoadReport:
    """What one load wrote: rows per raw table, rejected rows by reason, and provenance."""

    rows: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)


def synthetic_config(config: dict[str, Any]) -> synthetic.SyntheticConfig:
    return synthetic.SyntheticConfig(**config.get("synthetic", {}))


def source_label(config: dict[str, Any]) -> str:
    """'synthetic' or 'real': shown wherever data from these sources is shown."""
    return "synthetic" if config["kind"] == "synthetic" else "real"


def synthetic_provenance(config: dict[str, Any]) -> dict[str, str]:
    return {
        key: str(value) for key, value in synthetic.provenance(synthetic_config(config)).items()
    }


def _empty_relation(con: duckdb.DuckDBPyConnection, table: RawTable, name: str) -> None:
    con.execute(
        f"create or replace temp table {name} as select * from {table.qualified_name} limit 0"
    )


def _stage_synthetic_week(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek, config: synthetic.SyntheticConfig
) -> None:
    """Write the synthetic week into temp tables named staged_<table>."""
    stage(con, "staged_assignments", synthetic.assignments(week, config))
    stage(con, "staged_usage_counters", synthetic.usage_counters(week, config))
    _empty_relation(con, FLOWS, "staged_flows")
    for batch in synthetic.flow_batches(week, config):
        stage(con, "staged_flows", batch, append=True)
    _empty_relation(con, QUARANTINE, "staged_quarantine")


def load_week(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek, config: dict[str, Any]
) -> LoadReport:
    """Replace one week of raw.flows, raw.assignments, raw.usage_counters and raw.quarantine."""
    ensure_raw_tables(con)
    if config["kind"] == "synthetic":
        _stage_synthetic_week(con, week, synthetic_config(config))
        provenance = synthetic_provenance(config)
    else:
        provenance = readers.provenance(readers.stage_week(con, week, config["file_sources"]))
    report = LoadReport(provenance=provenance)
    # All four tables of the week change together or not at all.
    report.rows = replace_weeks(
        con,
        week.start,
        {
            table: f"staged_{table.name}"
            for table in (FLOWS, ASSIGNMENTS, USAGE_COUNTERS, QUARANTINE)
        },
    )
    reasons = con.execute(
        "select reason, count(*) from raw.quarantine where week_start = ? group by reason",
        [week.start],
    ).fetchall()
    report.quarantined = {reason: int(count) for reason, count in reasons}
    return report


def load_monthly_totals(con: duckdb.DuckDBPyConnection, config: dict[str, Any]) -> LoadReport:
    """Replace raw.monthly_totals from the configured source."""
    ensure_raw_tables(con)
    if config["kind"] == "synthetic":
        stage(con, "staged_monthly_totals", synthetic.monthly_totals(synthetic_config(config)))
        provenance = synthetic_provenance(config)
    else:
        provenance = readers.provenance(readers.stage_monthly_totals(con, config["file_sources"]))
    rows = replace_table(con, MONTHLY_TOTALS, "staged_monthly_totals")
    return LoadReport(rows={MONTHLY_TOTALS.name: rows}, provenance=provenance)
