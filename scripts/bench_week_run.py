"""Where one weekly run spent its time: its Dagster steps, read from the run's event log in
the Dagster instance, and its dbt nodes, read from dbt's run_results.json.

Steps run one after another in the command line's process (execute_in_process), so the
run's wall time less its steps is Dagster's own time (start-up, definitions, events); the
dbt step less its nodes is dbt's start-up (parsing, connecting) and its bookkeeping.
"""

import json
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import dagster as dg
from bench_support import Measurement, TreeSampler

from dagster_project.defs.assets.raw_assets import LOAD_SECONDS
from dagster_project.validation.suite_catalogue import SUITE_CHECKS

STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}
DBT_STEP = "weekly_dbt_models"
CHECK_STEPS = {spec.step for spec in SUITE_CHECKS}
# dbt node kinds, by the first part of their unique_id, and how their lines are named.
NODE_KINDS = {"model": "dbt model", "seed": "dbt seeds", "test": "dbt tests",
              "unit_test": "dbt unit tests"}  # fmt: skip


@dataclass(frozen=True)
class StepTime:
    key: str
    start: float  # unix time
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def latest_run(dagster_home: str) -> tuple[dg.DagsterInstance, dg.DagsterRun]:
    os.environ["DAGSTER_HOME"] = dagster_home
    instance = dg.DagsterInstance.get()
    (run,) = instance.get_runs(limit=1)
    return instance, run


def load_phases(dagster_home: str) -> list[Measurement]:
    """A line per phase of the latest run's raw load (generating or reading, writing each
    table), from the load's own clock in raw_flows' metadata; the phases interleave batch by
    batch, so they have no memory of their own."""
    instance, run = latest_run(dagster_home)
    events = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    for entry in events:
        materialization = entry.asset_materialization
        if materialization and materialization.asset_key == dg.AssetKey("raw_flows"):
            phases = materialization.metadata[LOAD_SECONDS].value
            return [Measurement(f"load: {phase}", seconds) for phase, seconds in phases.items()]
    return []


def run_steps(dagster_home: str) -> list[StepTime]:
    """The steps of the instance's latest run, in the order they started."""
    instance, run = latest_run(dagster_home)
    starts: dict[str, float] = {}
    steps = []
    for entry in instance.all_logs(run.run_id, of_type=STEP_EVENTS):
        if entry.step_key is None or entry.dagster_event is None:
            continue
        if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        else:
            steps.append(StepTime(entry.step_key, starts[entry.step_key], entry.timestamp))
    return sorted(steps, key=lambda step: step.start)


def step_kind(key: str) -> str:
    """What a step of the weekly job does, by its key."""
    if key == "raw_week":
        return "raw load"
    if key == DBT_STEP:
        return "dbt build"
    return "GX checks" if key in CHECK_STEPS else "figures and page"


def step_measurements(dagster_home: str, sampler: TreeSampler, run_seconds: float) -> list:
    """A line per Dagster step, per kind of step (their sum), and one for the run less its
    steps."""
    steps = run_steps(dagster_home)
    lines = [
        Measurement.sampled(f"step {step.key}", step.seconds, sampler, step.start, step.end)
        for step in steps
    ]
    kinds: dict[str, list[Measurement]] = {}
    for step, line in zip(steps, lines, strict=True):
        kinds.setdefault(step_kind(step.key), []).append(line)
    for kind, members in kinds.items():
        lines.append(summed(f"{kind} ({len(members)} steps)", members))
    whole, in_steps = Measurement.sampled("", run_seconds, sampler), summed("", lines[: len(steps)])
    lines.append(
        Measurement(
            "dagster and the command line (run less its steps)",
            run_seconds - in_steps.seconds,
            whole.peak_rss_mib,
            (whole.cpu_seconds or 0.0) - (in_steps.cpu_seconds or 0.0),
        )
    )
    return lines


def summed(step: str, members: list[Measurement]) -> Measurement:
    """One line for several: seconds and CPU added (CPU if every member has it), the largest
    peak."""
    cpu = [member.cpu_seconds for member in members]
    return Measurement(
        step,
        sum(member.seconds for member in members),
        max((member.peak_rss_mib or 0.0 for member in members), default=0.0),
        None if None in cpu else sum(value or 0.0 for value in cpu),
    )


def _unix(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _node_window(result: dict) -> tuple[float, float]:
    """First start and last end of a node's timings (compile, execute)."""
    timing = result.get("timing") or []
    if not timing:
        return 0.0, 0.0
    return _unix(timing[0]["started_at"]), _unix(timing[-1]["completed_at"])


def dbt_run_results(target: Path) -> dict:
    (path,) = sorted(target.glob(f"{DBT_STEP}-*/run_results.json"))
    return json.loads(path.read_text())


def dbt_measurements(target: Path, steps: list[Measurement], sampler: TreeSampler) -> list:
    """A line per dbt model, one per other kind of node (their sum), and dbt's start-up.

    Nodes take milliseconds to seconds, too short for CPU time from samples every 0.1 s:
    their lines have the peak memory around them, not their CPU time."""
    nodes: dict[str, list[Measurement]] = {}
    for result in dbt_run_results(target)["results"]:
        kind, name = result["unique_id"].split(".")[0], result["unique_id"].split(".")[-1]
        peak = sampler.peak_mib(*_node_window(result))
        nodes.setdefault(kind, []).append(Measurement(name, result["execution_time"], peak))
    lines = [replace(model, step=f"dbt model {model.step}") for model in nodes.pop("model", [])]
    lines += [
        summed(f"{NODE_KINDS.get(kind, f'dbt {kind}')} ({len(members)})", members)
        for kind, members in sorted(nodes.items())
    ]
    (dbt_step,) = [line for line in steps if line.step == f"step {DBT_STEP}"]
    lines.append(
        Measurement(
            "dbt start-up and bookkeeping (its step less its nodes)",
            dbt_step.seconds - summed("", lines).seconds,
            dbt_step.peak_rss_mib,
        )
    )
    return lines
