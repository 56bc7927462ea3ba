"""The dbt project and the one translator that maps dbt nodes to Dagster assets."""

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from dagster_project.settings import DBT_PROJECT_DIR

# dbt folder -> Dagster asset group, so lineage reads raw -> staging -> ... -> marts.
LAYER_GROUPS = ("staging", "intermediate", "marts")
# The seeds: reference data (protocol names, report table rows, compared weeks).
REFERENCE_GROUP = "reference"


@cache
def dbt_project() -> DbtProject:
    """Built on first use: importing the code location must not run dbt."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    return project


class TrafficReportTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return REFERENCE_GROUP
        fqn = dbt_resource_props.get("fqn", [])
        layer = next((part for part in fqn if part in LAYER_GROUPS), None)
        return layer or super().get_group_name(dbt_resource_props)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {"partitioned": "weekly" if is_weekly(dbt_resource_props) else "none"}

    def get_partition_mapping(
        self,
        dbt_resource_props: Mapping[str, Any],
        dbt_parent_resource_props: Mapping[str, Any],
    ) -> dg.PartitionMapping | None:
        # A cross-week model reads every week of its weekly parents.
        if is_weekly(dbt_parent_resource_props) and not is_weekly(dbt_resource_props):
            return dg.AllPartitionMapping()
        return None


def is_weekly(dbt_resource_props: Mapping[str, Any]) -> bool:
    """Weekly models are built per analysis week; the others (`cross_week`) over all weeks."""
    return "weekly" in dbt_resource_props.get("tags", [])


translator = TrafficReportTranslator()


@cache
def weekly_models() -> frozenset[str]:
    """Names of the dbt models and seeds built per analysis week (tag `weekly`): their assets
    are weekly partitioned, and their tests run (and record verdicts) per week."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    return frozenset(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed") and is_weekly(node)
    )
