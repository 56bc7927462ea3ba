"""Which GX suite validates which asset, on which frame, and whether a failure blocks.

Each row of `SUITE_CHECKS` names a suite (expectations/<suite>.json), the asset it validates
and how the frame is fetched (`raw_frames`, `mart_frames`). Suites on raw inputs and marts
block: when one fails nothing downstream of the asset is drawn. Drift suites only warn.
"""

from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.pipelining.prefetch import Prefetched
from dagster_project.validation import (
    assignment_frames,
    mart_frames,
    raw_frames,
    verdicts,
    week_changes,
)
from dagster_project.validation.gx_suites import (
    ValidationBatch,
    ValidationOutcome,
    import_gx,
    validate_batch,
    write_data_docs,
)
from dagster_project.validation.raw_frames import FrameFetcher
from dagster_project.weeks.analysis_week import AnalysisWeek


@dataclass(frozen=True)
class SuiteCheck:
    """One asset check: a GX suite run on a frame fetched for the asset's partition."""

    suite: str
    asset: str
    fetch: FrameFetcher
    weekly: bool = True
    blocking: bool = True
    name: str | None = None

    @property
    def check_name(self) -> str:
        return f"gx_{self.name or self.suite}"

    @property
    def step(self) -> str:
        """The step that runs the check with the others that wait for the same assets: the
        raw inputs or the tables, of a week or across weeks."""
        scope = "week" if self.weekly else "cross_week"
        layer = "input" if self.asset.startswith("raw_") else "table"
        return f"{scope}_{layer}_checks"


SUITE_CHECKS: tuple[SuiteCheck, ...] = (
    SuiteCheck("raw_flows", "raw_flows", raw_frames.flow_sample),
    SuiteCheck("raw_flows_profile", "raw_flows", raw_frames.flow_week_profile),
    SuiteCheck("raw_assignments", "raw_assignments", assignment_frames.assignment_rows),
    SuiteCheck("raw_usage_counters", "raw_usage_counters", raw_frames.usage_counter_rows),
    SuiteCheck(
        "raw_monthly_totals", "raw_monthly_totals", raw_frames.monthly_total_rows, weekly=False
    ),
    SuiteCheck("user_daily_usage", "user_daily_usage", mart_frames.user_daily_usage_rows),
    SuiteCheck(
        "usage_statistics", "usage_summary", mart_frames.usage_summary_rows, name="usage_summary"
    ),
    SuiteCheck("usage_distribution", "usage_distribution", mart_frames.usage_distribution_rows),
    SuiteCheck("top_user_shares", "top_user_shares", mart_frames.top_user_share_rows),
    SuiteCheck("user_sample", "user_sample", mart_frames.user_sample_rows),
    SuiteCheck("port_usage", "port_usage", mart_frames.port_usage_rows),
    SuiteCheck("hourly_port_traffic", "hourly_port_traffic", mart_frames.hourly_port_traffic_rows),
    SuiteCheck(
        "weekday_hourly_traffic", "weekday_hourly_traffic", mart_frames.weekday_hourly_traffic_rows
    ),
    SuiteCheck("traffic_attribution", "traffic_attribution", mart_frames.traffic_attribution_rows),
    SuiteCheck("ipv6_share", "ipv6_share", mart_frames.ipv6_share_rows),
    SuiteCheck(
        "usage_statistics",
        "usage_summary_by_year",
        mart_frames.usage_summary_by_year_rows,
        weekly=False,
        name="usage_summary_by_year",
    ),
    SuiteCheck(
        "port_usage_by_year",
        "port_usage_by_year",
        mart_frames.port_usage_by_year_rows,
        weekly=False,
    ),
    SuiteCheck(
        "monthly_traffic", "monthly_traffic", mart_frames.monthly_traffic_rows, weekly=False
    ),
    SuiteCheck("traffic_growth", "traffic_growth", mart_frames.traffic_growth_rows, weekly=False),
    SuiteCheck("mode_growth", "mode_growth", mart_frames.mode_growth_rows, weekly=False),
    SuiteCheck(
        "traffic_drift",
        "raw_flows",
        week_changes.flow_traffic_change,
        blocking=False,
        name="flow_traffic_drift",
    ),
    SuiteCheck(
        "traffic_drift",
        "raw_usage_counters",
        week_changes.counter_traffic_change,
        blocking=False,
        name="counter_traffic_drift",
    ),
    SuiteCheck(
        "user_count_drift", "raw_assignments", week_changes.subscriber_count_change, blocking=False
    ),
    SuiteCheck("quarantine_share", "raw_quarantine", raw_frames.quarantined_share, blocking=False),
    SuiteCheck("sampling_origin", "raw_flows", raw_frames.exporter_sampling, blocking=False),
    SuiteCheck(
        "unattributed_traffic",
        "int_attributed_flow_totals",
        raw_frames.unattributed_traffic_share,
        blocking=False,
    ),
)


@dataclass(frozen=True)
class SuiteRun:
    """The outcome of one suite on one week's frame, what the frame held, its Data Docs page."""

    outcome: ValidationOutcome
    scope: str
    docs_page: Path


@dataclass(frozen=True)
class _Validated:
    outcome: ValidationOutcome
    scope: str


def run_suites(
    specs: Sequence[SuiteCheck],
    con: duckdb.DuckDBPyConnection,
    week: AnalysisWeek | None,
    run_id: str = "",
) -> list[tuple[SuiteCheck, SuiteRun | Exception]]:
    """Each suite run on the frame of the week (or of all weeks), in order, its verdict
    recorded; in place of a suite that could not run, its error, so that it costs the others
    nothing. Once all are validated, their Data Docs pages and the index are written in one
    build (`gx_suites.write_data_docs`).

    The next suite's frame is fetched in a worker thread while this one is validated, and GX
    is imported while the first is fetched: DuckDB's queries release the GIL and GX's work is
    Python's, so on two cores they overlap. The connection is the worker's until the last
    frame is fetched."""
    # closed on the way out, so the worker is done with the connection before the caller
    # closes it
    with closing(Prefetched((spec, _fetched(spec, con, week)) for spec in specs)) as frames:
        import_gx()
        validated = [(spec, _validated(spec, batch)) for spec, batch in frames]
    return _documented(validated, week.key if week else verdicts.ALL_WEEKS, run_id)


def _fetched(
    spec: SuiteCheck, con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None
) -> ValidationBatch | Exception:
    try:
        return spec.fetch(con, week)
    except Exception as error:  # handed to the caller in the suite's place
        return error


def _validated(spec: SuiteCheck, batch: ValidationBatch | Exception) -> _Validated | Exception:
    if isinstance(batch, Exception):
        return batch
    try:
        return _Validated(validate_batch(batch, spec.suite), batch.scope)
    except Exception as error:  # handed to the caller in the suite's place
        return error


def _documented(
    validated: list[tuple[SuiteCheck, _Validated | Exception]], week_key: str, run_id: str
) -> list[tuple[SuiteCheck, SuiteRun | Exception]]:
    """The validated suites with their Data Docs pages, their verdicts recorded."""
    done = [(spec, run) for spec, run in validated if isinstance(run, _Validated)]
    try:
        pages = iter(
            write_data_docs([(f"{spec.check_name}_{week_key}", run.outcome) for spec, run in done])
        )
    except Exception as error:  # each validated suite is reported with it
        return [(spec, error if isinstance(run, _Validated) else run) for spec, run in validated]
    runs: list[tuple[SuiteCheck, SuiteRun | Exception]] = []
    for spec, run in validated:
        if isinstance(run, _Validated):
            status = verdicts.status_of(run.outcome.success, spec.blocking)
            verdicts.record(verdicts.Verdict(spec.asset, spec.check_name, status, week_key, run_id))
            runs.append((spec, SuiteRun(run.outcome, run.scope, next(pages))))
        else:
            runs.append((spec, run))
    return runs
