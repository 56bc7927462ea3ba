"""Resources: the DuckDB warehouse, the raw-input sources and the dbt CLI.

The warehouse and dbt resources hold the warehouse's writer lock for their whole run
(warehouse/writer_lock.py), whichever way the run was started, and record the run's process
in a run tag so that a run whose process was killed is marked failed (`fail_dead_runs`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from dagster_project import settings
from dagster_project.defs.dbt_project import dbt_project
from dagster_project.processes import dbt_guard
from dagster_project.sources.source_config import (
    SourcesConfig,
    load_sources_config,
    sources_config_path,
)
from dagster_project.warehouse.connection import connect
from dagster_project.warehouse.holder import Worker
from dagster_project.warehouse.writer_lock import hold_warehouse

# Concurrency pool of every step that opens the warehouse. dagster.yaml limits each pool to
# one run at a time (granularity "run"), because DuckDB allows one writing process and a
# writer locks out readers of other processes.
WAREHOUSE_POOL = "duckdb_warehouse"
# Run tag naming the process that executes the run (holder.Worker.tag: host/pid/start).
WORKER_TAG = "trafficreport/worker"
# Runs in these states have a process that should be alive.
RUNNING_STATUSES = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def worker_tags() -> dict[str, str]:
    """Tags of a run executed by this process."""
    return {WORKER_TAG: Worker.current().tag()}


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Marks failed the unfinished runs whose process on this host has ended (killed, crashed);
    returns what it did, a line per run.

    Dagster's run monitoring cannot check the process of a run executed by the command line or
    `dagster asset materialize`, nor the default launcher's once its code server is gone: such
    a run stays STARTED for ever, holds the queue's warehouse pool and is waited for by the
    cross-week sensor.
    """
    notes = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=RUNNING_STATUSES)):
        run = record.dagster_run
        worker = Worker.from_tag(run.tags.get(WORKER_TAG, ""))
        if worker is None or worker.is_alive() or _finished_meanwhile(instance, run.run_id):
            continue
        note = (
            f"Run {run.run_id} ({run.job_name}) marked failed: its process ({worker.describe()}) "
            "ended without finishing it (killed or crashed)."
        )
        instance.report_run_failed(run, note)
        notes.append(note)
    return notes


def _finished_meanwhile(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the run has ended since it was listed (the code server of a launched run, or
    another sweep, may have marked it failed already)."""
    run = instance.get_run_by_id(run_id)
    return run is None or run.is_finished


@contextmanager
def hold_for_run(context: dg.InitResourceContext, warehouse: Path) -> Iterator[None]:
    """The run's hold on the warehouse, taken after marking failed the runs whose process died
    (one of them may be what the queue or the cross-week sensor waits for)."""
    log = context.log.info if context.log else dg.get_dagster_logger().info
    run = context.dagster_run
    if context.instance is not None and run is not None:
        if run.tags.get(WORKER_TAG) != Worker.current().tag():
            context.instance.add_run_tags(run.run_id, worker_tags())
        for note in fail_dead_runs(context.instance):
            log(note)
    with hold_warehouse(warehouse, context.run_id, settings.warehouse_wait_seconds(), log):
        yield


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file shared by the raw assets, dbt and the readers of the marts.

    Not dagster_duckdb's DuckDBResource: that one opens every connection read-write, so the
    checks, figures and pages that only read would take the writer lock, and it does not
    close a connection whose block raised.
    """

    path: str

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Any]:
        with hold_for_run(context, Path(self.path)), super().yield_for_execution(context) as res:
            yield res

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(Path(self.path), read_only=read_only) as con:
            yield con


class SourcesResource(dg.ConfigurableResource):
    """The sources configuration (sources.yaml) that says where raw inputs come from."""

    config_path: str

    def read(self) -> SourcesConfig:
        """The checked configuration; SourceConfigError names every problem of the file."""
        return load_sources_config(Path(self.config_path))


class WarehouseDbtResource(DbtCliResource):
    """dbt, holding the warehouse for its run, started through the guard that ends it with
    the run (processes/dbt_guard.py): a killed run leaves no dbt behind holding DuckDB's lock."""

    warehouse_path: str

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Any]:
        with (
            hold_for_run(context, Path(self.warehouse_path)),
            super().yield_for_execution(context) as res,
        ):
            yield res


def build_resources() -> dict[str, Any]:
    warehouse = str(settings.warehouse_path())
    return {
        "warehouse": WarehouseResource(path=warehouse),
        "sources": SourcesResource(config_path=str(sources_config_path())),
        "dbt": WarehouseDbtResource(
            project_dir=dbt_project(), dbt_executable=dbt_guard.__file__, warehouse_path=warehouse
        ),
    }
