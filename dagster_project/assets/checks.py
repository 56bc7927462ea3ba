"""Great Expectations suites as Dagster asset checks, built from one declarative table.

Each row of `SUITE_CHECKS` says which suite (expectations/<suite>.json) validates which
asset and how the frame is fetched (`validation_frames`). Suites on raw inputs and marts are
blocking: when one fails, nothing downstream of the asset runs in that run, so figures and
the report are never produced from bad data. Drift suites only warn.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import dagster as dg

from dagster_project import validation_frames as frames
from dagster_project.partitions import weekly_partitions
from dagster_project.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.validation import ValidationOutcome, validate_batch, write_data_docs


@dataclass(frozen=True)
class SuiteCheck:
    """One asset check: a GX suite run on a frame fetched for the asset's partition."""

    suite: str
    asset: str
    fetch: frames.FrameFetcher
    weekly: bool = True
    blocking: bool = True
    name: str | None = None

    @property
    def check_name(self) -> str:
        return f"gx_{self.name or self.suite}"

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        return dg.AssetCheckSeverity.ERROR if self.blocking else dg.AssetCheckSeverity.WARN


SUITE_CHECKS: tuple[SuiteCheck, ...] = (
    SuiteCheck("raw_flows", "raw_flows", frames.flow_sample),
    SuiteCheck("raw_flows_profile", "raw_flows", frames.flow_week_profile),
    SuiteCheck("raw_assignments", "raw_assignments", frames.assignment_rows),
    SuiteCheck("raw_usage_counters", "raw_usage_counters", frames.usage_counter_rows),
    SuiteCheck("raw_monthly_totals", "raw_monthly_totals", frames.monthly_total_rows, weekly=False),
    SuiteCheck("user_daily_usage", "user_daily_usage", frames.user_daily_usage_rows),
    SuiteCheck(
        "usage_statistics", "usage_summary", frames.usage_summary_rows, name="usage_summary"
    ),
    SuiteCheck("usage_distribution", "usage_distribution", frames.usage_distribution_rows),
    SuiteCheck("top_user_shares", "top_user_shares", frames.top_user_share_rows),
    SuiteCheck("user_sample", "user_sample", frames.user_sample_rows),
    SuiteCheck("port_usage", "port_usage", frames.port_usage_rows),
    SuiteCheck("hourly_port_traffic", "hourly_port_traffic", frames.hourly_port_traffic_rows),
    SuiteCheck(
        "weekday_hourly_traffic", "weekday_hourly_traffic", frames.weekday_hourly_traffic_rows
    ),
    SuiteCheck("traffic_attribution", "traffic_attribution", frames.traffic_attribution_rows),
    SuiteCheck(
        "usage_statistics",
        "usage_summary_by_year",
        frames.usage_summary_by_year_rows,
        weekly=False,
        name="usage_summary_by_year",
    ),
    SuiteCheck(
        "port_usage_by_year", "port_usage_by_year", frames.port_usage_by_year_rows, weekly=False
    ),
    SuiteCheck("monthly_traffic", "monthly_traffic", frames.monthly_traffic_rows, weekly=False),
    SuiteCheck("traffic_growth", "traffic_growth", frames.traffic_growth_rows, weekly=False),
    SuiteCheck("mode_growth", "mode_growth", frames.mode_growth_rows, weekly=False),
    SuiteCheck(
        "traffic_drift",
        "raw_flows",
        frames.flow_traffic_change,
        blocking=False,
        name="flow_traffic_drift",
    ),
    SuiteCheck(
        "traffic_drift",
        "raw_usage_counters",
        frames.counter_traffic_change,
        blocking=False,
        name="counter_traffic_drift",
    ),
    SuiteCheck(
        "user_count_drift", "raw_assignments", frames.subscriber_count_change, blocking=False
    ),
    SuiteCheck("quarantine_share", "raw_quarantine", frames.quarantined_share, blocking=False),
    SuiteCheck(
        "unattributed_traffic",
        "int_flows_attributed",
        frames.unattributed_traffic_share,
        blocking=False,
    ),
)


def check_result(
    spec: SuiteCheck, outcome: ValidationOutcome, scope: str, docs_page: str
) -> dg.AssetCheckResult:
    """The check's verdict with what was validated and which expectations failed."""
    failed: list[dict[str, Any]] = [
        {
            "expectation": f.expectation,
            "column": f.column,
            "unexpected_count": f.unexpected_count,
            "examples": f.examples,
            "catches": f.catches,
        }
        for f in outcome.failed
    ]
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=spec.severity,
        metadata={
            "suite": f"expectations/{spec.suite}.json",
            "validated": scope,
            "expectations": outcome.evaluated,
            "failed_expectations": len(outcome.failed),
            "result": dg.MetadataValue.md(outcome.as_markdown()),
            "failures": dg.MetadataValue.json(failed),
            "data_docs": dg.MetadataValue.path(docs_page),
        },
    )


def run_suite_check(spec: SuiteCheck, warehouse: WarehouseResource, partition_key: str | None):
    week_start = date.fromisoformat(partition_key) if partition_key else None
    with warehouse.connect(read_only=True) as con:
        batch = spec.fetch(con, week_start)
    outcome = validate_batch(batch, spec.suite)
    page = write_data_docs(outcome, spec.check_name, partition_key or "all")
    return check_result(spec, outcome, batch.scope, str(page))


def build_suite_check(spec: SuiteCheck) -> dg.AssetChecksDefinition:
    kind = "Blocking" if spec.blocking else "Warning (never blocks)"

    @dg.asset_check(
        name=spec.check_name,
        asset=spec.asset,
        blocking=spec.blocking,
        partitions_def=weekly_partitions if spec.weekly else None,
        pool=WAREHOUSE_POOL,
        description=f"{kind}: GX suite expectations/{spec.suite}.json.",
    )
    def suite_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        partition_key = context.partition_key if spec.weekly else None
        return run_suite_check(spec, warehouse, partition_key)

    return suite_check


suite_checks = [build_suite_check(spec) for spec in SUITE_CHECKS]
