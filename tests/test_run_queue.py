"""The instance's run queue never starts two runs that open the DuckDB warehouse together.

dagster.yaml limits every concurrency pool to one run in progress (run granularity), and every
step that opens the warehouse is in the pool `duckdb_warehouse` (tests/test_lineage.py), so a
queued run that would open the warehouse waits for the one in progress.
"""

import shutil
from pathlib import Path

import dagster as dg
import yaml

from dagster_project.definitions import defs
from dagster_project.defs.resources import WAREHOUSE_POOL
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
