"""What the Dagster instance recorded about the report's inputs: provenance and validations.

Cross-week figures and the report read weekly marts that earlier runs built. A blocking check
only stops downstream steps of its own run, so before drawing from a mart these functions
look up the latest result of every check on it (GX suites and dbt tests) for the weeks used.
"""

from collections.abc import Iterable, Sequence
from datetime import date

import dagster as dg
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)

from dagster_project.report.pages import CheckStatus, InputProvenance

# Raw assets whose materialization metadata carries `provenance/*` entries.
WEEKLY_RAW_INPUTS = ("raw_flows", "raw_assignments", "raw_usage_counters")
MONTHLY_RAW_INPUT = "raw_monthly_totals"
PROVENANCE_PREFIX = "provenance/"
PARTITION_TAG = "dagster/partition"
# How many past executions of an unpartitioned check are searched for a week's result.
CHECK_HISTORY_LIMIT = 1000

_STATUS_WORDS = {
    AssetCheckExecutionRecordStatus.SUCCEEDED: "passed",
    AssetCheckExecutionRecordStatus.FAILED: "failed",
}


def definitions_asset_graph(context: dg.AssetExecutionContext):
    """Every asset and check of the code location, not only those the running job selects.

    A cross-week run does not select the checks of the weekly marts it reads, but their
    results are what decides whether the marts may be drawn from.
    """
    graph = context.job_def.asset_layer.asset_graph
    return getattr(graph, "source_asset_graph", graph)


class UnvalidatedInputError(Exception):
    """A mart the report reads has a validation that failed or never ran for a week used."""


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


def _latest_per_week(
    instance: dg.DagsterInstance,
    check_key: dg.AssetCheckKey,
    partitioned: bool,
    week_keys: list[str],
) -> dict[str, AssetCheckExecutionRecord]:
    """Latest execution of a check per week.

    A partitioned check records its week. An unpartitioned check on a weekly asset (dbt
    tests run with the week's models) does not, so its week is the partition of the run
    that executed it.
    """
    if partitioned:
        found = {}
        for week in week_keys:
            record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
                [check_key], partition_filter=PartitionKeyFilter(key=week)
            ).get(check_key)
            if record is not None:
                found[week] = record
        return found
    history = instance.event_log_storage.get_asset_check_execution_history(
        check_key, limit=CHECK_HISTORY_LIMIT
    )
    runs = instance.get_runs(dg.RunsFilter(run_ids=sorted({r.run_id for r in history})))
    week_of_run = {run.run_id: run.tags.get(PARTITION_TAG) for run in runs}
    found = {}
    for record in history:  # newest first
        week = week_of_run.get(record.run_id)
        if week in week_keys and week not in found:
            found[week] = record
    return found


def _status(record: AssetCheckExecutionRecord | None) -> str:
    if record is None:
        return "not run"
    status = _STATUS_WORDS.get(record.status, "not run")
    evaluation = record.event.dagster_event.event_specific_data if record.event else None
    # A failed warning-severity check (drift) flags the data but never blocks drawing it.
    if status == "failed" and getattr(evaluation, "severity", None) == dg.AssetCheckSeverity.WARN:
        return "warned"
    return status


def check_statuses(
    instance: dg.DagsterInstance,
    asset_graph,
    marts: Iterable[str],
    weeks: Iterable[date],
) -> tuple[CheckStatus, ...]:
    """Latest result of every check on the marts, per week for weekly marts."""
    week_keys = [w.isoformat() for w in sorted(set(weeks or ()))]
    statuses = []
    for mart in sorted(set(marts)):
        asset_key = dg.AssetKey(mart)
        weekly = asset_graph.has(asset_key) and asset_graph.get(asset_key).is_partitioned
        checks = asset_graph.get_check_keys_for_assets({asset_key})
        for check_key in sorted(checks, key=lambda k: k.name):
            if not weekly:
                latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
                    [check_key]
                ).get(check_key)
                statuses.append(CheckStatus(mart, check_key.name, _status(latest)))
                continue
            partitioned = asset_graph.get(check_key).partitions_def is not None
            per_week = _latest_per_week(instance, check_key, partitioned, week_keys)
            statuses += [
                CheckStatus(mart, check_key.name, _status(per_week.get(week)), week)
                for week in week_keys
            ]
    return tuple(statuses)


def require_validated(statuses: Sequence[CheckStatus]) -> None:
    """Refuse to draw from data whose validation failed or has not run."""
    bad = [s for s in statuses if s.status not in ("passed", "warned")]
    if bad:
        listing = "; ".join(f"{s.label} {s.check}: {s.status}" for s in bad[:10])
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise UnvalidatedInputError(
            f"{len(bad)} validation(s) of the input marts did not pass: {listing}{more}. "
            "Re-materialize those weeks (their checks run with them) before drawing."
        )
