#!/usr/bin/env python3
"""Runs dbt so that it ends with the run that started it: `dbt_guard.py <dbt arguments>`.

dagster-dbt starts dbt as a child process. When the run's process is killed (SIGKILL, the
out-of-memory killer), a plain child keeps running as an orphan and keeps DuckDB's lock on
the warehouse, so the next run cannot open it. The dbt resource therefore starts this guard
as its dbt executable. The guard starts the `dbt` on PATH in a process group of its own and
ends that group when its parent (the run) ends, which it notices by being reparented, or
when the guard itself is killed (the kernel sends dbt SIGKILL: PR_SET_PDEATHSIG on Linux).
SIGINT (how dagster-dbt interrupts dbt), SIGTERM and SIGHUP are passed on to dbt.
`--version` alone it answers itself, from the installed package (`installed_version`).

A script with the standard library only, so that any python3 runs it.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence

# How often the guard checks that its parent lives: the delay before an orphan is ended.
POLL_SECONDS = 0.2
# How long dbt may take to stop after SIGTERM before the guard kills its group.
GRACE_SECONDS = 5.0
PR_SET_PDEATHSIG = 1
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def die_with_parent() -> None:
    """In the child before exec: the kernel sends SIGKILL when the guard ends (Linux only;
    elsewhere the guard's own handling is all there is)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return


def end_group(child: subprocess.Popen) -> int:
    """SIGTERM to dbt's process group, SIGKILL if it is still there after the grace period."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
        return child.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        return child.wait()
    except ProcessLookupError:
        return child.wait()


def prepare_child() -> None:
    """In the child before exec: take signals again (the guard held them while starting it),
    with their default handling even if the guard was started ignoring them (a background job
    of a shell ignores SIGINT, and an ignored signal stays ignored across exec: dbt would never
    see the interrupt), and end with the guard."""
    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED_SIGNALS)
    die_with_parent()


def start_dbt(command: Sequence[str]) -> subprocess.Popen:
    """dbt in its own process group, with the guard's signals forwarded to it. A signal that
    arrives while dbt starts is held until forwarding is in place, then forwarded: a run
    interrupted at that moment used to end the guard alone, by Python's default handling."""
    signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED_SIGNALS)
    try:
        child = subprocess.Popen(command, process_group=0, preexec_fn=prepare_child)
        forward_signals(child)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED_SIGNALS)
    return child


def forward_signals(child: subprocess.Popen) -> None:
    def forward(signum: int, _frame: object) -> None:
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            return

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)


def exit_status(returncode: int) -> int:
    """A shell's exit status: 128 + the signal for a process ended by a signal."""
    return 128 - returncode if returncode < 0 else returncode


def supervise(child: subprocess.Popen, parent: int) -> int:
    """dbt's return code; ends dbt's group as soon as the parent is gone."""
    while True:
        try:
            return child.wait(timeout=POLL_SECONDS)
        except subprocess.TimeoutExpired:
            if os.getppid() != parent:
                return end_group(child)


# dagster-dbt asks the executable for dbt's version before every run. `dbt --version` takes
# seconds (dbt's imports, and PyPI asked for the latest release, a timeout away on a machine
# without Internet); the version installed beside the dbt on PATH is read in milliseconds.
INSTALLED_VERSION = "from importlib.metadata import version; print(version('dbt-core'))"


def installed_version(dbt: str) -> str | None:
    """The version of the dbt-core that the `dbt` script runs with; None when `dbt` is not a
    script whose interpreter knows it (then dbt itself answers)."""
    with open(dbt, "rb") as script:
        first_line = script.readline()
    if not first_line.startswith(b"#!"):
        return None
    interpreter = first_line.removeprefix(b"#!").decode(errors="replace").split()
    completed = subprocess.run(
        [*interpreter, "-c", INSTALLED_VERSION], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        return None
    return completed.stdout.strip() or None


def main(argv: Sequence[str]) -> int:
    parent = os.getppid()
    dbt = shutil.which("dbt")
    if dbt is None:
        print("dbt_guard: no dbt executable on PATH", file=sys.stderr)
        return 127
    if list(argv) == ["--version"] and (version := installed_version(dbt)):
        print(f"Core:\n  - installed: {version}")
        return 0
    return exit_status(supervise(start_dbt([dbt, *argv]), parent))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
