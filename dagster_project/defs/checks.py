"""Great Expectations suites as Dagster asset checks, one per row of `SUITE_CHECKS`.

Blocking checks stop everything downstream of their asset in the same run, so figures and
pages are never drawn from data whose validation failed; drift checks only warn.

Checks that wait for the same assets run in one step (`SuiteCheck.step`: a week's raw inputs,
a week's tables, and the same two across weeks). The step shares one read-only connection,
fetches each check's frame while the check before it validates, and has GX write the Data
Docs pages of all its checks and the index in one build (`run_suites`); the UI still shows
every check on its own asset, and a check selected alone runs alone.
"""

from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

import dagster as dg

from dagster_project.defs.partitions import partition_week, weekly_partitions
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.validation.suite_catalogue import (
    SUITE_CHECKS,
    SuiteCheck,
    SuiteRun,
    run_suites,
)


class SuiteCheckCrashed(RuntimeError):
    """Checks of a step could not run; the step's other checks reported their results."""


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
        asset_key=spec.asset,
        check_name=spec.check_name,
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


def check_key(spec: SuiteCheck) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(spec.asset), spec.check_name)


def check_spec(spec: SuiteCheck) -> dg.AssetCheckSpec:
    kind = "Blocking" if spec.blocking else "Warning (never blocks)"
    return dg.AssetCheckSpec(
        name=spec.check_name,
        asset=spec.asset,
        blocking=spec.blocking,
        partitions_def=weekly_partitions if spec.weekly else None,
        description=f"{kind}: GX suite expectations/{spec.suite}.json.",
    )


def build_check_step(step: str, specs: Sequence[SuiteCheck]) -> dg.AssetChecksDefinition:
    """One step running `specs` (all weekly, or none), each check that the run selected."""
    if len({spec.weekly for spec in specs}) != 1:
        raise ValueError(f"step {step} mixes weekly and cross-week checks")
    weekly = specs[0].weekly

    @dg.multi_asset_check(
        name=step,
        specs=[check_spec(spec) for spec in specs],
        can_subset=True,
        pool=WAREHOUSE_POOL,
        description=f"GX suites: {', '.join(spec.check_name for spec in specs)}.",
    )
    def suite_check_step(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        week = partition_week(context) if weekly else None
        selected = [spec for spec in specs if check_key(spec) in context.selected_asset_check_keys]
        with warehouse.connect(read_only=True) as con:
            runs = run_suites(selected, con, week, context.run.run_id)
        crashed = [(spec.check_name, run) for spec, run in runs if isinstance(run, Exception)]
        for spec, run in runs:
            if not isinstance(run, Exception):  # the others are raised below, together
                yield check_result(spec, run)
        if crashed:
            reasons = "; ".join(
                f"{name}: {type(error).__name__}: {error}" for name, error in crashed
            )
            raise SuiteCheckCrashed(
                f"{len(crashed)} of {len(selected)} checks could not run: {reasons}"
            ) from crashed[0][1]

    return suite_check_step


def check_steps(specs: Sequence[SuiteCheck]) -> list[dg.AssetChecksDefinition]:
    """A step per `SuiteCheck.step` of `specs`, running those checks."""
    ordered = sorted(specs, key=lambda spec: spec.step)
    return [
        build_check_step(step, list(members))
        for step, members in groupby(ordered, key=lambda spec: spec.step)
    ]


suite_checks = check_steps(SUITE_CHECKS)
