"""The dbt project's defaults stay equal to the Python single sources of truth."""

from pathlib import Path

import yaml

from dagster_project.defs.assets.dbt_assets import cross_week_vars

DBT_PROJECT_FILE = Path(__file__).resolve().parent.parent / "dbt" / "dbt_project.yml"


def dbt_default_vars() -> dict:
    return yaml.safe_load(DBT_PROJECT_FILE.read_text())["vars"]


def test_comparison_weeks_default_matches_partitions():
    # Dagster passes partitions.COMPARISON_WEEKS; a bare `dbt build` uses the default.
    assert dbt_default_vars()["comparison_weeks"] == cross_week_vars()["comparison_weeks"]
