"""Lineage a person can read in the UI, kept that way as assets are added.

Every asset is described and sits in one of the layer groups; every step that opens the
DuckDB warehouse is in its concurrency pool, so the run queue never overlaps two of them.
"""

import dagster as dg
import pytest

from dagster_project.defs.jobs import cross_week_job, weekly_report_job
from dagster_project.defs.partitions import ONE_WEEK_PER_RUN
from dagster_project.defs.resources import WAREHOUSE_POOL

# Layers from inputs to the report (reference data: the dbt seeds); report tables sit beside
# the figures.
LAYER_GROUPS = {
    "reference",
    "raw",
    "staging",
    "intermediate",
    "marts",
    "validation",
    "figures",
    "tables",
    "report",
}
# Resources whose steps open the warehouse file (dbt writes it from its own process).
WAREHOUSE_RESOURCES = {"warehouse", "dbt"}


@pytest.fixture(scope="module")
def asset_graph():
    from dagster_project.definitions import defs

    return defs.resolve_asset_graph()


def test_every_asset_has_a_description_and_a_layer_group(asset_graph):
    problems = []
    for key in sorted(asset_graph.get_all_asset_keys()):
        node = asset_graph.get(key)
        if not node.is_materializable:
            continue
        if not (node.description or "").strip():
            problems.append(f"{key.to_user_string()}: no description")
        if node.group_name not in LAYER_GROUPS:
            problems.append(
                f"{key.to_user_string()}: group {node.group_name!r} is not one of "
                f"{sorted(LAYER_GROUPS)}"
            )
    assert not problems, "\n".join(problems)


def test_steps_that_open_the_warehouse_are_in_its_pool(asset_graph):
    outside_pool = sorted(
        assets_def.op.name
        for assets_def in asset_graph.assets_defs
        if assets_def.is_executable
        and assets_def.required_resource_keys & WAREHOUSE_RESOURCES
        and assets_def.op.pool != WAREHOUSE_POOL
    )
    assert not outside_pool, f"add pool=WAREHOUSE_POOL to: {', '.join(outside_pool)}"


def test_jobs_split_weekly_and_cross_week_assets(asset_graph):
    weekly_keys = weekly_report_job.selection.resolve(asset_graph)
    cross_week_keys = cross_week_job.selection.resolve(asset_graph)
    assert dg.AssetKey("raw_flows") in weekly_keys
    assert dg.AssetKey("raw_monthly_totals") in cross_week_keys
    partitioned = {
        key
        for key in asset_graph.get_all_asset_keys()
        if asset_graph.get(key).is_materializable and asset_graph.get(key).partitions_def
    }
    unpartitioned = {
        key for key in asset_graph.get_all_asset_keys() if asset_graph.get(key).is_materializable
    } - partitioned
    # Together the two jobs cover every asset: the schedule and sensors leave nothing out.
    assert weekly_keys == partitioned
    assert cross_week_keys == unpartitioned


def test_weekly_assets_backfill_one_week_per_run(asset_graph):
    """A backfill over many weeks launches one run per week for every weekly asset.

    dagster-dbt gives time-partitioned dbt assets a single-run policy by default, which would
    hand the weekly dbt step a range of weeks while it builds exactly one.
    """
    wrong = sorted(
        assets_def.op.name
        for assets_def in asset_graph.assets_defs
        if assets_def.is_executable
        and assets_def.keys  # asset checks alone run with the asset they check
        and assets_def.partitions_def is not None
        and assets_def.backfill_policy != ONE_WEEK_PER_RUN
    )
    assert not wrong, f"add backfill_policy=ONE_WEEK_PER_RUN to: {', '.join(wrong)}"
