"""The instance's run queue never starts two runs that open the DuckDB warehouse together,
every run holds the warehouse's writer lock, and run monitoring ends stuck runs.

dagster.yaml limits every concurrency pool to one run in progress (run granularity), and every
step that opens the warehouse is in the pool `duckdb_warehouse` (tests/test_lineage.py), so a
queued run that would open the warehouse waits for the one in progress. Runs that bypass the
queue (command line, `dagster asset materialize`) wait for the writer lock instead
(tests/test_writer_lock.py, tests/test_cli.py).
"""

import shutil
from pathlib import Path

import dagster as dg
import yaml

from dagster_project import settings
from dagster_project.definitions import defs
from dagster_project.defs.resources import (
    WAREHOUSE_POOL,
    WarehouseDbtResource,
    WarehouseResource,
)
from dagster_project.processes import dbt_guard
from dagster_project.settings import PROJECT_ROOT


def instance_config() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())


def test_dagster_yaml_limits_pools_per_run():
    concurrency = instance_config()["concurrency"]
    assert concurrency["pools"] == {"granularity": "run", "default_limit": 1}
    # Runs that do not open the warehouse may run beside one that does.
    assert concurrency["runs"]["max_concurrent_runs"] > 1


def test_the_instance_accepts_the_configuration(tmp_path: Path):
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])) == []


def test_both_jobs_hold_the_warehouse_pool():
    for job_name in ("weekly_report", "cross_week_report"):
        job = defs.resolve_job_def(job_name)
        pools = {node.definition.pool for node in job.graph.nodes}
        assert pools == {WAREHOUSE_POOL}, (job_name, pools)


def test_every_run_holds_the_writer_lock_through_its_resources():
    warehouse, dbt = defs.resources["warehouse"], defs.resources["dbt"]
    assert isinstance(warehouse, WarehouseResource) and isinstance(dbt, WarehouseDbtResource)
    assert dbt.warehouse_path == warehouse.path
    assert Path(dbt.dbt_executable) == Path(dbt_guard.__file__)  # ends with its run
    for job_name in ("weekly_report", "cross_week_report"):
        job = defs.resolve_job_def(job_name)
        assert job.required_resource_keys >= {"warehouse", "dbt"}, job_name


def test_run_monitoring_ends_stuck_runs(tmp_path: Path):
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds <= 300
        # The default run launcher cannot resume a run worker.
        assert instance.run_monitoring_max_resume_run_attempts == 0
        # A run that waits its whole bound for the warehouse is not taken for a hung one.
        assert instance.run_monitoring_max_runtime_seconds > settings.warehouse_wait_seconds()
