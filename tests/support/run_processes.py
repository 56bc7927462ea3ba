"""Runs of the command line as separate processes, and what they leave behind when killed.

Processes are told apart by their environment: every run of a test gets the test's own
TRAFFICREPORT_DUCKDB, and dagster-dbt passes the environment on to the dbt guard and dbt.
"""

import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.settings import PROJECT_ROOT
from dagster_project.warehouse.holder import Worker
from dagster_project.warehouse.writer_lock import lock_path

WAREHOUSE_VARIABLE = "TRAFFICREPORT_DUCKDB"


def start_week(env: dict[str, str], week: str) -> subprocess.Popen:
    """`python -m dagster_project.cli week <week>`, its terminal lines captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "dagster_project.cli", "week", week],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float = 900) -> str:
    """The process's terminal output once it ended; raises with it if the command failed."""
    output, _ = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise AssertionError(f"{process.args} exited with {process.returncode}:\n{output}")
    return output


def ended_worker() -> Worker:
    """A process of this host that has ended, as a run tag would name it."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return Worker(Worker.current().host, child.pid, 0)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def processes_of(env: dict[str, str]) -> dict[int, str]:
    """pid -> command line of every live process that has the test's warehouse variable."""
    marker = f"{WAREHOUSE_VARIABLE}={env[WAREHOUSE_VARIABLE]}".encode()
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        if marker in environ and state != "Z":
            found[int(proc.name)] = command
    return found


def dbt_is_running(env: dict[str, str]) -> bool:
    """Whether dbt itself (not only its guard) runs for the test's warehouse."""
    return any(
        "dbt_guard" not in command and " build " in command
        for command in processes_of(env).values()
    )


def logs_of(env: dict[str, str]) -> list[Path]:
    """The log files of the commands run with the test's data dir."""
    return sorted((Path(env["TRAFFICREPORT_DATA_DIR"]) / "logs").glob("*.log"))


def log_shows(env: dict[str, str], text: str) -> bool:
    """Whether a command's log file contains `text`."""
    return any(text in path.read_text(errors="replace") for path in logs_of(env))


def warehouse_is_free(env: dict[str, str]) -> bool:
    """No process holds the writer lock nor DuckDB's lock on the warehouse."""
    warehouse = Path(env[WAREHOUSE_VARIABLE])
    with open(lock_path(warehouse), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            duckdb.connect(str(warehouse)).close()
        except duckdb.IOException:
            return False
    return True


def assert_nothing_left_behind(env: dict[str, str], timeout: float = 30) -> float:
    """No process of the killed run remains (no dbt, no guard) and the warehouse is free;
    returns how many seconds the processes took to end."""
    started = time.monotonic()
    wait_for(lambda: not processes_of(env), "the run's processes to end", timeout)
    # An exiting process lets go of its memory before its files: its environment already
    # reads empty while it still holds its locks, for longer on a busy machine.
    wait_for(lambda: warehouse_is_free(env), "the warehouse's locks to be released", timeout)
    return time.monotonic() - started


def run_statuses(env: dict[str, str]) -> dict[str, dg.DagsterRunStatus]:
    """run id -> status of every run in the test's Dagster instance."""
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        return {run.run_id: run.status for run in instance.get_runs()}


def kill_when(process: subprocess.Popen, condition: Callable[[], bool], what: str) -> None:
    """SIGKILL the command's process (the run's) once `condition` holds; its children are
    left to fend for themselves, as after an out-of-memory kill."""
    wait_for(lambda: condition() or process.poll() is not None, what)
    assert process.poll() is None, f"the run ended before {what}:\n{process.communicate()[0]}"
    os.kill(process.pid, 9)
    process.wait()
