"""The instance's run queue never starts two runs that open the DuckDB warehouse together."""

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.config import PoolGranularity
from dagster._core.op_concurrency_limits_counter import GlobalOpConcurrencyLimitsCounter

from dagster_project.defs.resources import WAREHOUSE_POOL
from dagster_project.settings import PROJECT_ROOT


@pytest.fixture
def instance(tmp_path: Path):
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance


def test_dagster_yaml_limits_pools_per_run(instance: dg.DagsterInstance):
    config = instance.get_concurrency_config()
    assert config.pool_config.pool_granularity == PoolGranularity.RUN
    assert config.pool_config.default_pool_limit == 1
    # Runs that do not open the warehouse may run beside one that does.
    assert config.run_queue_config.max_concurrent_runs > 1


def queue_blocks(instance: dg.DagsterInstance, job_name: str) -> bool:
    from dagster_project.definitions import defs

    job = defs.resolve_job_def(job_name)
    queued = instance.create_run_for_job(job, status=dg.DagsterRunStatus.NOT_STARTED)
    in_progress = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    counter = GlobalOpConcurrencyLimitsCounter(
        instance,
        [queued],
        in_progress,
        concurrency_keys=instance.event_log_storage.get_concurrency_keys(),
        pool_limits=instance.event_log_storage.get_pool_limits(),
        pool_granularity=instance.get_concurrency_config().pool_config.pool_granularity,
    )
    return counter.is_blocked(queued)


def test_a_warehouse_run_waits_for_the_one_in_progress(instance: dg.DagsterInstance):
    from dagster_project.definitions import defs

    instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 1)
    assert not queue_blocks(instance, "cross_week_report")

    weekly = defs.resolve_job_def("weekly_report")
    running = instance.create_run_for_job(weekly, status=dg.DagsterRunStatus.STARTED)
    assert running.run_op_concurrency.all_pools == {WAREHOUSE_POOL}
    assert queue_blocks(instance, "cross_week_report")
    assert queue_blocks(instance, "weekly_report")
