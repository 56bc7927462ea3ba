"""One writer at a time: a lock file beside the DuckDB warehouse, held for a whole run.

DuckDB lets one process write a database file, and a writer locks out the readers of other
processes, so two runs whose steps interleave fail on DuckDB's lock. Every run that uses the
warehouse holds this lock from its start to its end, however it was started (command line,
schedule, sensor, backfill, `dagster asset materialize`): a second run waits for the first,
says every half minute whom it waits for, and gives up with a clear error only after
TRAFFICREPORT_WAREHOUSE_WAIT_SECONDS.

The lock is an flock on `<warehouse>.lock`, so the kernel releases it when its holder ends,
however it ends. The holder writes its run id and process into the file for waiters to name.
Once the lock is free, the new holder also waits until DuckDB's own lock on the file is free:
a process outside the runs (a notebook, the DuckDB shell) may hold it.
"""

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.warehouse.connection import connect
from dagster_project.warehouse.holder import Worker

WAIT_SETTING = "TRAFFICREPORT_WAREHOUSE_WAIT_SECONDS"
POLL_SECONDS = 0.5
REPORT_EVERY_SECONDS = 30.0
# How DuckDB says that another process holds the file (duckdb.IOException).
DUCKDB_LOCK_CONFLICT = "Could not set lock on file"

Log = Callable[[str], None]


class WarehouseBusyError(RuntimeError):
    """Another process kept the warehouse for longer than a run may wait for it."""


@dataclass(frozen=True)
class Holder:
    """What the holder of the lock writes into the lock file."""

    run_id: str | None
    worker: str
    since: str

    def describe(self) -> str:
        worker = Worker.from_tag(self.worker)
        process = worker.describe() if worker else self.worker
        run = f"run {self.run_id}" if self.run_id else "a process outside Dagster runs"
        return f"held by {run} ({process}, since {self.since})"


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def read_holder(lock: Path) -> Holder | None:
    """The holder named in the lock file; None if it is empty (free, or being written)."""
    try:
        return Holder(**json.loads(lock.read_text()))
    except (OSError, ValueError, TypeError):
        return None


class _ProcessHolds:
    """Lock files this process holds: the resources of one run share their run's lock (a
    second flock on the same file from the same process would wait for the first)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._count: dict[Path, int] = {}

    def join(self, lock: Path) -> bool:
        with self._guard:
            if lock not in self._count:
                return False
            self._count[lock] += 1
            return True

    def add(self, lock: Path) -> None:
        with self._guard:
            self._count[lock] = 1

    def leave(self, lock: Path) -> None:
        with self._guard:
            self._count[lock] -= 1
            if not self._count[lock]:
                del self._count[lock]


_HOLDS = _ProcessHolds()


@contextmanager
def hold_warehouse(
    warehouse: Path, run_id: str | None, wait_seconds: float, log: Log
) -> Iterator[None]:
    """Hold the warehouse for the block, waiting up to `wait_seconds` for another holder.

    Raises WarehouseBusyError, naming the holder, when the wait passes its bound.
    """
    lock = lock_path(warehouse.resolve())
    with ExitStack() as stack:
        if not _HOLDS.join(lock):
            stack.enter_context(
                _exclusive(lock, warehouse, run_id, _Waiter(warehouse, wait_seconds, log))
            )
            _HOLDS.add(lock)
        try:
            yield
        finally:
            _HOLDS.leave(lock)


@contextmanager
def _exclusive(
    lock: Path, warehouse: Path, run_id: str | None, waiter: "_Waiter"
) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waiter.until_free(lambda: _flock_holder(fd, lock))
        waiter.until_free(lambda: _duckdb_holder(warehouse))
        waiter.report_end()
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        record = json.dumps(asdict(Holder(run_id, Worker.current().tag(), since)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock


def _flock_holder(fd: int, lock: Path) -> str | None:
    """None once this process holds the lock; else who holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = read_holder(lock)
        return holder.describe() if holder else "held by another process"
    return None


def _duckdb_holder(warehouse: Path) -> str | None:
    """None if this process can open the warehouse for writing; else DuckDB's words on who has
    it open. Other errors are left to the run's steps, which report them where they occur."""
    if not warehouse.exists():
        return None
    try:
        with connect(warehouse):
            return None
    except duckdb.Error as error:
        message = str(error).splitlines()[0] if str(error) else ""
        return f"open in another process: {message}" if DUCKDB_LOCK_CONFLICT in message else None


@dataclass
class _Waiter:
    """Waits within one bound for the lock and then for DuckDB, and says whom it waits for."""

    warehouse: Path
    wait_seconds: float
    log: Log

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.next_report = self.started

    def until_free(self, holder_of: Callable[[], str | None]) -> None:
        while (holder := holder_of()) is not None:
            now = time.monotonic()
            waited = now - self.started
            if waited >= self.wait_seconds:
                raise WarehouseBusyError(
                    f"The warehouse {self.warehouse} is still {holder} after {waited:.0f} s; a "
                    f"run waits for it at most {self.wait_seconds:.0f} s ({WAIT_SETTING}). Let "
                    f"that run finish, or set {WAIT_SETTING} to wait longer."
                )
            if now >= self.next_report:
                self.log(
                    f"Waiting for the warehouse {self.warehouse}: {holder}. Waited {waited:.0f} s "
                    f"of at most {self.wait_seconds:.0f} s ({WAIT_SETTING})."
                )
                self.next_report = now + REPORT_EVERY_SECONDS
            time.sleep(min(POLL_SECONDS, self.wait_seconds - waited))

    def report_end(self) -> None:
        if self.next_report > self.started:  # something was reported: close the story
            self.log(f"Got the warehouse after {time.monotonic() - self.started:.1f} s of waiting.")
