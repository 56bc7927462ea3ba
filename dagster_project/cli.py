"""Command line: materialize the whole default report, or one week through to its own page.

`python -m dagster_project.cli report` runs each default week as one `weekly_report` run and
the cross-week assets as one `cross_week_report` run; `python -m dagster_project.cli week
2019-09-23` runs only that week's `weekly_report` run, which ends with the week's page. Runs
are recorded in the Dagster instance ($DAGSTER_HOME), so the UI shows them like scheduled
runs.

The terminal gets one line per run (`[3/10] week 2021-05-31 ... done in 41.2 s`), the reasons
and run id of a failed run, and the path of the log file (`<data dir>/logs/<command>-<UTC
time>.log`) that holds everything else: Dagster's events, dbt's output, warnings.
"""

import argparse
import fcntl
import gc
import os
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, Protocol

import dagster as dg
import duckdb

from dagster_project import settings
from dagster_project.defs.resources import fail_dead_runs, worker_tags
from dagster_project.processes.lasting_objects import made_to_last
from dagster_project.run_console import (
    Console,
    failure_lines,
    format_duration,
    log_file_path,
    one_line,
    output_to_log,
    progress_outcome,
    progress_prefix,
)
from dagster_project.sources.source_config import SourceConfigError, load_sources_config
from dagster_project.validation.raw_frames import quarantine_shares
from dagster_project.warehouse.connection import connect
from dagster_project.weeks.analysis_week import AnalysisWeek
from dagster_project.weeks.reference_weeks import default_weeks

# Distinct reasons shown under a failed run, a line each; the other failed steps are counted.
MAX_FAILED_REASONS_SHOWN = 3


@dataclass(frozen=True)
class QuarantineShare:
    """One raw input of a week: records loaded and rejected, and why most were rejected."""

    source: str
    loaded_rows: int
    quarantined_rows: int
    quarantined_pct: float
    most_frequent_reason: str | None
    most_frequent_file: str | None

    @property
    def total_rows(self) -> int:
        return self.loaded_rows + self.quarantined_rows


@dataclass(frozen=True)
class Step:
    """One Dagster run of the command: a week's `weekly_report` or the `cross_week_report`."""

    label: str
    job: str
    partition_key: str | None = None


def week_step(week: AnalysisWeek) -> Step:
    return Step(f"week {week}", "weekly_report", week.key)


CROSS_WEEK_STEP = Step("cross-week assets", "cross_week_report")


class ErrorInfo(Protocol):
    """What Dagster records of an error in its events (its SerializableErrorInfo)."""

    message: str
    cls_name: str | None
    cause: "ErrorInfo | None"


def error_reason(error: ErrorInfo | None) -> str:
    """The innermost cause of a Dagster error, `ClassName: message`, first line only."""
    if error is None:
        return "no error recorded"
    while error.cause is not None:
        error = error.cause
    message = one_line(error.message)
    # Dagster's messages for user code start with the qualified class name already.
    if error.cls_name and error.cls_name not in message.split(":", 1)[0]:
        message = f"{error.cls_name}: {message}"
    return message


def failure_reasons(result: dg.ExecuteInProcessResult) -> list[tuple[str, str]]:
    """(step, reason) for each failed Dagster step, or ("run", reason) for the run's failure."""
    reasons = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error if event.step_failure_data else None
        reasons.append((event.step_key or "step", error_reason(error)))
    if reasons:
        return reasons
    for event in result.filter_events(lambda event: event.is_run_failure):
        error = getattr(event.event_specific_data, "error", None)
        reasons.append(("run", error_reason(error) if error else one_line(event.message or "")))
    return reasons or [("run", "did not succeed (no failure event recorded)")]


def report_failure(
    console: Console, reasons: Sequence[tuple[str, str]], run_id: str, log_path: Path
) -> None:
    for line in failure_lines(reasons, MAX_FAILED_REASONS_SHOWN):
        console.detail(line)
    console.line(f"      run {run_id}; details: Dagster UI (bash scripts/ui.sh) or {log_path}")


def quarantine_lines(shares: Iterable[QuarantineShare]) -> list[str]:
    """What the week's load rejected, per raw input, largest share first: when most records
    were rejected, every later failure ("No density curves") follows from it."""
    rejected = sorted(
        (share for share in shares if share.quarantined_rows),
        key=lambda share: -share.quarantined_pct,
    )
    return [
        f"quarantined {share.quarantined_rows:,} of {share.total_rows:,} {share.source} records "
        f"({share.quarantined_pct:.1f}%), most for '{share.most_frequent_reason}' "
        f"(e.g. {Path(share.most_frequent_file).name})"
        for share in rejected
    ]


def week_quarantine(step: Step) -> list[QuarantineShare]:
    """The quarantine of a failed week's load, if the load got that far."""
    if step.partition_key is None or not settings.warehouse_path().exists():
        return []
    week = AnalysisWeek.from_key(step.partition_key)
    try:
        with connect(settings.warehouse_path(), read_only=True) as con:
            frame = quarantine_shares(con, week)
    except duckdb.Error:  # no raw tables yet: the load itself failed, its reason says why
        return []
    return [QuarantineShare(**row) for row in frame.to_dict("records")]


def run_step(
    step: Step, defs: dg.Definitions, instance: dg.DagsterInstance, run_id: str
) -> list[tuple[str, str]]:
    """Runs one step as the Dagster run `run_id`; returns why it failed (empty if it did not).

    The run is tagged with this process, so that a later command marks it failed if this one
    is killed (`fail_dead_runs`).
    """
    result = defs.resolve_job_def(step.job).execute_in_process(
        partition_key=step.partition_key,
        instance=instance,
        raise_on_error=False,
        run_id=run_id,
        tags=worker_tags(),
    )
    return [] if result.success else failure_reasons(result)


def open_instance() -> dg.DagsterInstance:
    """The Dagster instance of $DAGSTER_HOME, opened under an exclusive lock in that folder.

    The first open of a new Dagster home creates its SQLite schema; two commands started at
    once on a new home would both create it and the second would fail ("table
    alembic_version already exists"). The lock makes the second wait and then find it made.
    """
    home = Path(os.environ.get("DAGSTER_HOME", ""))
    if not home.is_absolute() or not home.is_dir():
        return dg.DagsterInstance.get()  # raises Dagster's own explanation of DAGSTER_HOME
    with (home / ".instance.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return dg.DagsterInstance.get()


def run_steps(steps: Sequence[Step], console: Console, log_path: Path) -> bool:
    """Runs the steps in order, a progress line each; stops at the first failed step."""
    started = time.monotonic()
    try:
        with made_to_last():
            from dagster_project.definitions import defs

            instance = open_instance()
    except Exception as error:
        traceback.print_exc()
        console.line(f"Could not load the Dagster definitions: {one_line(str(error))}")
        console.line(f"      details: {log_path}")
        return False
    for index, step in enumerate(steps, 1):
        for note in fail_dead_runs(instance):
            console.line(note)
        console.begin(progress_prefix(index, len(steps), step.label))
        run_id = str(uuid.uuid4())
        print(f"\n===== {step.label}: {step.job} run {run_id} =====", flush=True)
        step_started = time.monotonic()
        try:
            reasons = run_step(step, defs, instance, run_id)
        except Exception as error:
            traceback.print_exc()
            reasons = [("run", f"{type(error).__name__}: {one_line(str(error))}")]
        except KeyboardInterrupt:
            console.end(progress_outcome("interrupted", time.monotonic() - step_started))
            console.line(f"      run {run_id}; details: {log_path}")
            raise
        elapsed = time.monotonic() - step_started
        if reasons:
            console.end(progress_outcome("FAILED", elapsed))
            for line in quarantine_lines(week_quarantine(step)):
                console.detail(line)
            report_failure(console, reasons, run_id, log_path)
            total = format_duration(time.monotonic() - started)
            console.line(f"Failed at step {index} of {len(steps)} after {total}.")
            return False
        console.end(progress_outcome("done", elapsed))
    total = format_duration(time.monotonic() - started)
    console.line(f"Done: {len(steps)} of {len(steps)} runs in {total}.")
    return True


def run_quietly(command: str, steps: Sequence[Step]) -> tuple[bool, Path]:
    """Runs the steps with Dagster's and dbt's output in a log file under data/logs/.

    Returns whether every step succeeded, and the log file.
    """
    # dbt inherits the environment: no color codes in its output, hence none in the log.
    os.environ["DBT_USE_COLORS"] = "false"
    log_path = log_file_path(settings.data_dir() / "logs", command, datetime.now(UTC))
    with output_to_log(log_path) as terminal:
        terminal.line(f"Log:       {log_path}")
        return run_steps(steps, terminal, log_path), log_path


def analysis_week(text: str) -> AnalysisWeek:
    """An analysis week from its Monday (YYYY-MM-DD), from the first week to the last complete."""
    try:
        week = AnalysisWeek.from_key(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text} is not an analysis week: {error}") from error
    first = settings.first_week()
    if week.start < first or week.local_end > datetime.now(UTC):
        raise argparse.ArgumentTypeError(
            f"{text} is not an analysis week (a Monday from {first}, TRAFFICREPORT_FIRST_WEEK, "
            "up to the last complete week)"
        )
    return week


def report_command(args: argparse.Namespace) -> bool:
    weeks = args.week or [AnalysisWeek(week) for week in default_weeks()]
    ok, log_path = run_quietly("report", [*map(week_step, weeks), CROSS_WEEK_STEP])
    if ok:
        output = settings.output_dir()
        print(f"Warehouse: {settings.warehouse_path()}")
        print(f"Figures:   {output / 'figures'}")
        print(f"Tables:    {output / 'tables'}")
        print(f"Report:    {output / 'report'}")
    print(f"Log:       {log_path}")
    return ok


def week_command(args: argparse.Namespace) -> bool:
    ok, log_path = run_quietly("week", [week_step(args.week)])
    if ok:
        # Loaded already by the run, so importing it prints nothing.
        from dagster_project.defs.assets.page_assets import week_page_path

        print(f"Warehouse: {settings.warehouse_path()}")
        print(f"Report:    {week_page_path(args.week.key)}")
    print(f"Log:       {log_path}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="materialize the default report")
    report.add_argument(
        "--week",
        action="append",
        type=analysis_week,
        help="analysis week (a Monday, YYYY-MM-DD); repeatable; default: every default week",
    )
    report.set_defaults(run=report_command)
    week = commands.add_parser(
        "week", help="materialize one analysis week through to its own report page"
    )
    week.add_argument("week", type=analysis_week, help="the week's Monday, YYYY-MM-DD")
    week.set_defaults(run=week_command)
    args = parser.parse_args(argv)
    # A wrong sources.yaml or engine stops here, in one line per problem, before any run starts.
    try:
        load_sources_config()
        settings.dbt_engine()
        settings.dbt_unit_tests()
    except (SourceConfigError, ValueError) as error:
        parser.exit(2, f"{error}\n")
    try:
        return 0 if args.run(args) else 1
    except KeyboardInterrupt:
        return 130


def exit_with(code: int) -> NoReturn:
    """Exit with `code`, sparing the interpreter's garbage collection over every object the
    command's imports made (Dagster, dbt, GX, pandas): after a week's run it took 1.8-2.7 s,
    a tenth of a second with the objects frozen. Exit handlers and module teardown still run;
    cyclic garbage left at exit is the operating system's to free."""
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    exit_with(main())
