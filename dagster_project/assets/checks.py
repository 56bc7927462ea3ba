"""Great Expectations suites on the marts, run as blocking Dagster asset checks."""

from datetime import date

import dagster as dg

from dagster_project.marts import read_week
from dagster_project.partitions import weekly_partitions
from dagster_project.resources import WarehouseResource
from dagster_project.validation import validate_frame


def _check_result(frames_by_service, suite_name: str) -> dg.AssetCheckResult:
    outcomes = [validate_frame(frame, suite_name) for _, frame in frames_by_service]
    failed = [f for outcome in outcomes for f in outcome.failed]
    return dg.AssetCheckResult(
        passed=all(outcome.success for outcome in outcomes) and bool(outcomes),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suite": suite_name,
            "validated": f"{len(outcomes)} service slice(s) of the week",
            "failed_expectations": len(failed),
            "result": dg.MetadataValue.md(
                "\n\n".join(outcome.as_markdown() for outcome in outcomes) or "no rows"
            ),
        },
    )


@dg.asset_check(
    asset="port_usage",
    blocking=True,
    partitions_def=weekly_partitions,
    description="GX suite expectations/port_usage.json on each service's rows of the week.",
)
def port_usage_suite(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    frame = read_week(warehouse, "port_usage", date.fromisoformat(context.partition_key))
    return _check_result(frame.groupby("service"), "port_usage")
