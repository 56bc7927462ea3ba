"""The dbt project and the one translator that maps dbt nodes to Dagster assets."""

from collections.abc import Mapping
from functools import cache
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from dagster_project.settings import DBT_PROJECT_DIR

# dbt folder -> Dagster asset group, so lineage reads raw -> staging -> ... -> marts.
LAYER_GROUPS = ("staging", "intermediate", "marts")


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
        fqn = dbt_resource_props.get("fqn", [])
        layer = next((part for part in fqn if part in LAYER_GROUPS), None)
        return layer or super().get_group_name(dbt_resource_props)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        weekly = "weekly" in dbt_resource_props.get("tags", [])
        return {"partitioned": "weekly" if weekly else "none"}


translator = TrafficReportTranslator()
