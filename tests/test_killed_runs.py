"""No orphans and no zombies: a run killed with SIGKILL takes dbt with it, frees the warehouse,
is marked failed, and the next run of the week completes.

The guard is tested first with a stand-in dbt (a shell script that starts a child of its
own), then whole weeks are killed during the raw load and during dbt.
"""

import os
import signal
import subprocess
import sys
from datetime import date
from importlib import metadata
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.processes import dbt_guard
from dagster_project.warehouse import week_status
from dagster_project.warehouse.holder import process_start_ticks
from tests.support.run_processes import (
    assert_nothing_left_behind,
    dbt_is_running,
    finish,
    kill_when,
    log_shows,
    run_statuses,
    start_week,
    wait_for,
)

WEEK = "2024-06-03"
# A stand-in for dbt: records its pid and its child's, stops on SIGINT with status 7.
FAKE_DBT = """#!/bin/sh
trap 'exit 7' INT
sleep 300 &
echo "$$ $!" > "$FAKE_DBT_PIDS.tmp" && mv "$FAKE_DBT_PIDS.tmp" "$FAKE_DBT_PIDS"
wait
"""
# A stand-in for the run: starts the guard as dagster-dbt does and waits for it.
RUN = """
import subprocess, sys
guard = subprocess.Popen([sys.argv[1], "build"])
print(guard.pid, flush=True)
sys.exit(guard.wait())
"""


def alive(pid: int) -> bool:
    return process_start_ticks(pid) is not None


@pytest.fixture
def guarded_dbt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Starts a stand-in run with the guard and the stand-in dbt on PATH; yields the run's,
    the guard's, dbt's and dbt's child's pids once all four are up."""
    fake = tmp_path / "bin" / "dbt"
    fake.parent.mkdir()
    fake.write_text(FAKE_DBT)
    fake.chmod(0o755)
    pids_file = tmp_path / "dbt.pids"
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DBT_PIDS", str(pids_file))
    run = subprocess.Popen(
        [sys.executable, "-c", RUN, dbt_guard.__file__], stdout=subprocess.PIPE, text=True
    )
    assert run.stdout is not None
    guard = int(run.stdout.readline())
    wait_for(pids_file.exists, "the stand-in dbt", timeout=30)
    dbt, child = map(int, pids_file.read_text().split())
    yield run, guard, dbt, child
    for pid in (run.pid, guard, dbt, child):
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    run.wait()


def test_dbt_ends_with_its_run(guarded_dbt):
    run, guard, dbt, child = guarded_dbt
    run.kill()
    run.wait()
    wait_for(lambda: not any(map(alive, (guard, dbt, child))), "dbt's group to end", 10)


def test_dbt_ends_with_its_guard(guarded_dbt):
    _, guard, dbt, _ = guarded_dbt
    os.kill(guard, signal.SIGKILL)
    wait_for(lambda: not alive(dbt), "dbt to end", 10)


def test_an_interrupt_reaches_dbt_and_its_status_comes_back(guarded_dbt):
    """dagster-dbt stops dbt with SIGINT when a run is terminated."""
    run, guard, dbt, _ = guarded_dbt
    os.kill(guard, signal.SIGINT)
    assert run.wait(timeout=60) == 7
    assert not alive(dbt)


def test_signals_held_while_dbt_starts_are_taken_again_by_both(tmp_path: Path):
    """The guard holds SIGINT/SIGTERM/SIGHUP while it starts dbt (so that one arriving then is
    forwarded, not lost); afterwards dbt and the guard must both take signals again."""
    mask_file = tmp_path / "mask"
    handlers = {signum: signal.getsignal(signum) for signum in dbt_guard.FORWARDED_SIGNALS}
    try:
        child = dbt_guard.start_dbt(["sh", "-c", f"grep SigBlk /proc/self/status > {mask_file}"])
        assert child.wait(timeout=30) == 0
        held_by_guard = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    held_by_dbt = int(mask_file.read_text().split()[1], 16)
    for signum in dbt_guard.FORWARDED_SIGNALS:
        assert not held_by_dbt & (1 << (signum - 1)), signum
        assert signum not in held_by_guard


def test_the_guard_answers_the_version_probe_from_the_installed_dbt_core(tmp_path, monkeypatch):
    """dagster-dbt asks for dbt's version before every run: the guard reads it from the
    package the `dbt` script runs with, without starting dbt; a `dbt` that is not such a
    script answers itself."""
    fake = tmp_path / "bin" / "dbt"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nprint('dbt ran')\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")

    def version_answer() -> str:
        command = [sys.executable, dbt_guard.__file__, "--version"]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    assert version_answer() == f"Core:\n  - installed: {metadata.version('dbt-core')}\n"
    fake.write_text("#!/bin/sh\necho 'dbt 9.9.9'\n")
    assert version_answer() == "dbt 9.9.9\n"


def raw_load_started(env: dict[str, str]) -> bool:
    return log_shows(env, 'STEP_START - Started execution of step "raw_week"')


@pytest.mark.parametrize("moment", ["raw load", "dbt"])
def test_a_week_killed_during_its_run_leaves_nothing_behind(run_env: dict[str, str], moment):
    killed = start_week(run_env, WEEK)
    reached = raw_load_started if moment == "raw load" else dbt_is_running
    kill_when(killed, lambda: reached(run_env), f"the {moment}")
    if moment == "raw load":
        assert not log_shows(run_env, 'Finished execution of step "raw_week"')
    ended = assert_nothing_left_behind(run_env)
    print(f"killed during the {moment}: its processes were gone {ended:.2f} s after the kill")
    (dead,) = run_statuses(run_env)
    # whatever the killed run changed, the week is not marked complete: nothing is drawn
    assert not week_complete(run_env)

    finish(start_week(run_env, WEEK))
    statuses = run_statuses(run_env)
    assert statuses.pop(dead) == dg.DagsterRunStatus.FAILURE
    assert list(statuses.values()) == [dg.DagsterRunStatus.SUCCESS]
    assert_nothing_left_behind(run_env)
    assert week_complete(run_env)


def week_complete(env: dict[str, str]) -> bool:
    """Whether the warehouse marks the week complete (a warehouse not yet written: no)."""
    warehouse = Path(env["TRAFFICREPORT_DUCKDB"])
    if not warehouse.exists():
        return False
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return week_status.status_of(con, [date.fromisoformat(WEEK)])[
            date.fromisoformat(WEEK)
        ].complete
