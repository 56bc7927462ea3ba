"""Loading one analysis week of raw inputs from the configured sources into the warehouse."""

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb

from dagster_project.sources import readers, synthetic
from dagster_project.sources.address_numbers import (
    NUMBERED_ASSIGNMENTS,
    NUMBERED_FLOWS,
    number_staged_addresses,
)
from dagster_project.sources.pseudonyms import pseudonymized_views
from dagster_project.sources.raw_lake import replace_whole, week_replaced
from dagster_project.sources.raw_schema import (
    ASSIGNMENTS,
    FLOW_RECORDS,
    FLOWS,
    MONTHLY_TOTALS,
    QUARANTINE,
    USAGE_COUNTERS,
    RawTable,
)
from dagster_project.sources.raw_tables import ensure_raw_tables, replace_weeks, stage, transaction
from dagster_project.sources.source_config import FileSources, SourcesConfig
from dagster_project.warehouse import week_status
from dagster_project.weeks.analysis_week import AnalysisWeek


@dataclass
class LoadReport:
    """What one load wrote: rows per raw table, rejected rows by reason, and provenance."""

    rows: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)


def source_label(config: SourcesConfig) -> str:
    """'synthetic' or 'real': shown wherever data from these sources is shown."""
    return "synthetic" if config.kind == "synthetic" else "real"


def synthetic_provenance(config: synthetic.SyntheticConfig) -> dict[str, str]:
    return {key: str(value) for key, value in synthetic.provenance(config).items()}


def _file_sources(config: SourcesConfig) -> FileSources:
    if config.files is None:  # SourcesConfig requires it for kind: files
        raise ValueError("kind: files without a files section")
    return config.files


def _stage_synthetic_week(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek, config: synthetic.SyntheticConfig
) -> None:
    """Write the synthetic week into temp tables named staged_<table>."""
    stage(con, "staged_assignments", synthetic.assignments(week, config))
    _stage_batches(con, USAGE_COUNTERS, synthetic.usage_counter_frames(week, config))
    _stage_batches(con, FLOW_RECORDS, synthetic.flow_batches(week, config))
    con.execute(QUARANTINE.create_staging_sql("staged_quarantine"))


def _stage_batches(con: duckdb.DuckDBPyConnection, table: RawTable, batches: Iterable) -> None:
    """The temp table `staged_<table>`, filled one batch after another: a large week never
    exists whole outside DuckDB."""
    name = f"staged_{table.name}"
    con.execute(table.create_staging_sql(name))
    for batch in batches:
        stage(con, name, batch, append=True)


def load_week(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek, config: SourcesConfig, run_id: str
) -> LoadReport:
    """Replace one week of the raw lake's flows, assignments and usage counters and of
    raw.quarantine, with subscriber ids replaced by their pseudonyms, and mark the week
    `loaded` (its models are now older than its raw tables): all of it or nothing."""
    ensure_raw_tables(con)
    key = config.pseudonym_key()  # before reading: a missing key fails fast
    if config.kind == "synthetic":
        _stage_synthetic_week(con, week, config.synthetic)
        provenance = synthetic_provenance(config.synthetic)
    else:
        provenance = readers.provenance(readers.stage_week(con, week, _file_sources(config)))
    report = LoadReport(provenance=provenance)
    pseudonymized = pseudonymized_views(
        con, ["staged_assignments", "staged_usage_counters"], "subscriber_id", key
    )
    number_staged_addresses(con, assignments=pseudonymized["staged_assignments"])
    lake_relations = {
        FLOWS: NUMBERED_FLOWS,
        ASSIGNMENTS: NUMBERED_ASSIGNMENTS,
        USAGE_COUNTERS: pseudonymized["staged_usage_counters"],
    }
    # The lake's week stands only if this transaction (quarantine and status) commits.
    with week_replaced(con, week.start, lake_relations, run_id) as rows, transaction(con):
        quarantined = replace_weeks(con, week.start, {QUARANTINE: "staged_quarantine"})
        week_status.mark_loaded(con, week.start, run_id)
    report.rows = {**rows, **quarantined}
    reasons = con.execute(
        "select reason, count(*) from raw.quarantine where week_start = ? group by reason",
        [week.start],
    ).fetchall()
    report.quarantined = {reason: int(count) for reason, count in reasons}
    return report


def load_monthly_totals(con: duckdb.DuckDBPyConnection, config: SourcesConfig) -> LoadReport:
    """Replace the lake's monthly totals from the configured source."""
    ensure_raw_tables(con)
    if config.kind == "synthetic":
        stage(con, "staged_monthly_totals", synthetic.monthly_totals(config.synthetic))
        provenance = synthetic_provenance(config.synthetic)
    else:
        provenance = readers.provenance(readers.stage_monthly_totals(con, _file_sources(config)))
    rows = replace_whole(con, MONTHLY_TOTALS, "staged_monthly_totals")
    return LoadReport(rows={MONTHLY_TOTALS.name: rows}, provenance=provenance)
