"""What a figure, table or page shows about its inputs: provenance and validations.

Provenance is the metadata the raw loads recorded on their materializations (read with the
instance's public `fetch_materializations`). Validations are the verdicts every check records
in the validation record (`validation.verdicts`): a blocking check stops its own run's
downstream steps, but figures drawn in a later run need the verdicts of the weeks they read,
and Dagster has no public API to read check results back per partition.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache

import dagster as dg

from dagster_project import settings
from dagster_project.defs.assets.dbt_assets import cross_week_dbt_models, weekly_dbt_models
from dagster_project.defs.checks import suite_checks
from dagster_project.defs.dbt_project import weekly_models
from dagster_project.report.pages import InputProvenance
from dagster_project.validation import verdicts
from dagster_project.warehouse import week_status
from dagster_project.warehouse.connection import connect

# Raw assets whose materialization metadata carries `provenance/*` entries.
WEEKLY_RAW_INPUTS = ("raw_flows", "raw_assignments", "raw_usage_counters")
# Raw assets loaded per week (the quarantine is checked too).
WEEKLY_RAW_ASSETS = (*WEEKLY_RAW_INPUTS, "raw_quarantine")
MONTHLY_RAW_INPUT = "raw_monthly_totals"
PROVENANCE_PREFIX = "provenance/"
# (asset, check) of a week's completeness as the pages list it.
WEEK_COMPLETENESS = ("week_tables", "built_whole")


def input_provenance(
    instance: dg.DagsterInstance, asset: str, week: date | None
) -> InputProvenance:
    """The `provenance/*` metadata of the latest materialization of a raw input (and week)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(asset),
            asset_partitions=[week.isoformat()] if week else None,
        ),
        limit=1,
    ).records
    details = {"source": "unknown (no materialization recorded)"}
    if records and records[0].asset_materialization is not None:
        metadata = records[0].asset_materialization.metadata
        details = {
            key.removeprefix(PROVENANCE_PREFIX): str(getattr(value, "value", value))
            for key, value in metadata.items()
            if key.startswith(PROVENANCE_PREFIX)
        } or {"source": "unknown (no provenance recorded)"}
    return InputProvenance(asset=asset, week=week.isoformat() if week else "all", details=details)


def inputs_provenance(
    instance: dg.DagsterInstance, weeks: Iterable[date], monthly: bool
) -> tuple[InputProvenance, ...]:
    entries = [
        input_provenance(instance, asset, week)
        for week in sorted(set(weeks))
        for asset in WEEKLY_RAW_INPUTS
    ]
    if monthly:
        entries.append(input_provenance(instance, MONTHLY_RAW_INPUT, None))
    return tuple(entries)


def data_note(entries: Sequence[InputProvenance]) -> str:
    """The footnote of a figure or table: which kind of data it was computed from."""
    sources = sorted({entry.details.get("source", "unknown") for entry in entries})
    if sources == ["synthetic"]:
        seeds = sorted({entry.details["seed"] for entry in entries if "seed" in entry.details})
        seed = f", seed {', '.join(seeds)}" if seeds else ""
        return f"SYNTHETIC DATA (built-in generator{seed}), not a real network."
    if "synthetic" in sources:
        return f"Mixed sources including SYNTHETIC DATA: {', '.join(sources)}."
    return f"Source: {', '.join(sources)} flow and usage records."


@cache
def defined_checks() -> frozenset[tuple[str, str]]:
    """(asset, check) of every check the code location defines: GX suites and dbt tests."""
    definitions = [*suite_checks, weekly_dbt_models, cross_week_dbt_models]
    return frozenset(
        (spec.asset_key.to_user_string(), spec.name)
        for definition in definitions
        for spec in definition.check_specs
    )


def is_weekly(asset: str) -> bool:
    return asset in WEEKLY_RAW_ASSETS or asset in weekly_models()


def check_statuses(assets: Iterable[str], weeks: Iterable[date]) -> tuple[verdicts.Verdict, ...]:
    """The verdict of every check on the assets: per week read for weekly assets. Checks are
    those the code location defines and any other that recorded a verdict. When weekly assets
    are read, each week's completeness comes first."""
    weeks = sorted(set(weeks))
    week_keys = [week.isoformat() for week in weeks]
    weeks_of = {
        asset: week_keys if is_weekly(asset) else [verdicts.ALL_WEEKS] for asset in set(assets)
    }
    expected = [(asset, check) for asset, check in defined_checks() if asset in weeks_of]
    reads_weeks = any(is_weekly(asset) for asset in weeks_of)
    completeness = week_completeness(weeks) if reads_weeks else ()
    return (*completeness, *verdicts.verdicts_for(expected, weeks_of))


def week_completeness(weeks: Iterable[date]) -> tuple[verdicts.Verdict, ...]:
    """Per week, whether its tables are one complete build (`ops.week_status`), as a verdict:
    passed, or not run while a load has no finished build."""
    path = settings.warehouse_path()
    if path.exists():
        with connect(path, read_only=True) as con:
            statuses = week_status.status_of(con, weeks)
    else:
        statuses = {week: week_status.WeekStatus(week, week_status.LOADED) for week in weeks}
    return tuple(
        verdicts.Verdict(
            *WEEK_COMPLETENESS,
            verdicts.PASSED if status.complete else verdicts.NOT_RUN,
            week.isoformat(),
            status.build_run_id or "",
        )
        for week, status in sorted(statuses.items())
    )


def week_statuses(week: date) -> tuple[verdicts.Verdict, ...]:
    """The verdict of every check of one week: every check the code location defines on a
    weekly asset (raw inputs, the quarantine, the attribution, every weekly model) and any
    other recorded for the week."""
    weekly = {asset for asset, _ in defined_checks() if is_weekly(asset)}
    return check_statuses(weekly | set(verdicts.recorded_assets(week.isoformat())), [week])
