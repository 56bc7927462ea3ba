"""Great Expectations suites as Dagster asset checks, one per row of `SUITE_CHECKS`.

Blocking checks stop everything downstream of their asset in the same run, so figures and
pages are never drawn from data whose validation failed; drift checks only warn.
"""

from typing import Any

import dagster as dg

from dagster_project.defs.partitions import partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.validation.suite_catalogue import SUITE_CHECKS, SuiteCheck, SuiteRun, run_suite


def check_result(spec: SuiteCheck, run: SuiteRun) -> dg.AssetCheckResult:
    """The check's verdict with what was validated and which expectations failed."""
    outcome = run.outcome
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
        severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "suite": f"expectations/{spec.suite}.json",
            "validated": run.scope,
            "expectations": outcome.evaluated,
            "failed_expectations": len(outcome.failed),
            "result": dg.MetadataValue.md(outcome.as_markdown()),
            "failures": dg.MetadataValue.json(failed),
            "data_docs": dg.MetadataValue.path(str(run.docs_page)),
        },
    )


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
        week = partition_week(context) if spec.weekly else None
        with warehouse.connect(read_only=True) as con:
            return check_result(spec, run_suite(spec, con, week, context.run.run_id))

    return suite_check


suite_checks = [build_suite_check(spec) for spec in SUITE_CHECKS]
