"""One writer at a time: a run waits for the warehouse, names whom it waits for, gives up only
after its bound, and gets the warehouse as soon as a killed holder is gone."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import settings
from dagster_project.cli import error_reason
from dagster_project.defs.resources import WarehouseResource
from dagster_project.settings import PROJECT_ROOT
from dagster_project.warehouse.holder import Worker
from dagster_project.warehouse.writer_lock import (
    WAIT_SETTING,
    WarehouseBusyError,
    hold_warehouse,
    lock_path,
    read_holder,
)
from tests.support.run_processes import ended_worker

HOLD = """
import sys, time
from pathlib import Path
from dagster_project.warehouse.writer_lock import hold_warehouse
with hold_warehouse(Path(sys.argv[1]), "other-run", 60, print):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""
OPEN_IN_DUCKDB = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def other_process(script: str, warehouse: Path, seconds: float) -> Iterator[subprocess.Popen]:
    """A process that holds the warehouse for `seconds` (killed at the end of the block)."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(warehouse), str(seconds)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.kill()
        process.wait()


def test_a_second_holder_waits_for_the_first_and_names_it(tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    said: list[str] = []
    with other_process(HOLD, warehouse, 2) as holder:
        started = time.monotonic()
        with hold_warehouse(warehouse, "this-run", 60, said.append):
            waited = time.monotonic() - started
            assert read_holder(lock_path(warehouse)).run_id == "this-run"
    assert 1 < waited < 30
    assert f"held by run other-run (pid {holder.pid} on " in said[0]
    assert said[-1].startswith("Got the warehouse after")
    assert read_holder(lock_path(warehouse)) is None  # released: nobody is named


def test_the_wait_is_bounded_and_the_error_says_why(tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    with (
        other_process(HOLD, warehouse, 60),
        pytest.raises(WarehouseBusyError) as busy,
        hold_warehouse(warehouse, "this-run", 1, lambda _: None),
    ):
        pytest.fail("got a warehouse that another process holds")
    assert "still held by run other-run" in str(busy.value)
    assert WAIT_SETTING in str(busy.value)


def test_a_killed_holder_frees_the_warehouse_at_once(tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    with other_process(HOLD, warehouse, 60) as holder:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        started = time.monotonic()
        with hold_warehouse(warehouse, "next-run", 60, lambda _: None):
            assert time.monotonic() - started < 5


def test_a_process_with_the_file_open_in_duckdb_is_waited_for(tmp_path: Path):
    """A notebook or the DuckDB shell takes no writer lock, but DuckDB's lock on the file."""
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    said: list[str] = []
    with (
        other_process(OPEN_IN_DUCKDB, warehouse, 2),
        hold_warehouse(warehouse, "this-run", 60, said.append),
    ):
        duckdb.connect(str(warehouse)).close()
    assert "open in another process" in said[0]


def test_holds_of_one_process_share_its_lock(tmp_path: Path):
    """The warehouse and dbt resources of one run both hold it; neither waits for the other."""
    warehouse = tmp_path / "warehouse.duckdb"
    with hold_warehouse(warehouse, "run", 1, pytest.fail):
        with hold_warehouse(warehouse, "run", 1, pytest.fail):
            pass
        assert read_holder(lock_path(warehouse)).run_id == "run"
    with other_process(HOLD, warehouse, 0):
        pass  # another process got it: released


@dg.asset
def needs_the_warehouse(warehouse: WarehouseResource) -> None:
    with warehouse.connect() as con:
        con.execute("create table if not exists t as select 1 as x")


def test_a_run_holds_the_warehouse_through_its_resource(tmp_path: Path, monkeypatch):
    """Whichever way a run starts, its warehouse resource takes the lock before any step."""
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv(WAIT_SETTING, "1")
    resources = {"warehouse": WarehouseResource(path=str(warehouse))}
    with dg.instance_for_test() as instance:
        with other_process(HOLD, warehouse, 60):
            blocked = dg.materialize(
                [needs_the_warehouse], resources=resources, instance=instance, raise_on_error=False
            )
        reason = error_reason(blocked.get_run_failure_event().event_specific_data.error)
        assert "WarehouseBusyError: The warehouse" in reason
        assert "still held by run other-run" in reason
        ran = dg.materialize([needs_the_warehouse], resources=resources, instance=instance)
        tags = instance.get_run_by_id(ran.run_id).tags
    assert Worker.from_tag(tags["trafficreport/worker"]) == Worker.current()


def test_worker_tags_name_a_process_until_it_ends():
    assert Worker.current().is_alive()
    assert not ended_worker().is_alive()
    assert Worker.from_tag(Worker.current().tag()) == Worker.current()
    assert Worker.from_tag("no worker") is None
    assert Worker("another-host", 1, 1).is_alive()  # not ours to judge


@pytest.mark.parametrize("text", ["soon", "-1"])
def test_a_wrong_wait_setting_is_refused(monkeypatch, text: str):
    monkeypatch.setenv(WAIT_SETTING, text)
    with pytest.raises(ValueError, match=WAIT_SETTING):
        settings.warehouse_wait_seconds()
