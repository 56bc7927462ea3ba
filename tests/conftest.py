"""Shared fixtures: an isolated run environment and the dbt manifest dagster-dbt needs."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The pseudonym key of real-data tests (their inputs are fixtures, not subscribers); set for
# the whole session so that subprocess runs inherit it.
TEST_PSEUDONYM_KEY = "trafficreport test key, fixtures only"
os.environ.setdefault("TRAFFICREPORT_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """dagster-dbt reads dbt/target/manifest.json when the code location is imported."""
    manifest = PROJECT_ROOT / "dbt" / "target" / "manifest.json"
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet"],
        cwd=PROJECT_ROOT / "dbt",
        env={**os.environ, "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt")},
        check=True,
    )
    return manifest


@pytest.fixture(scope="session")
def new_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[], duckdb.DuckDBPyConnection]:
    """Opens a new warehouse file, each in a folder of its own (its raw lake goes beside it)."""

    def connect() -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"))

    return connect


@pytest.fixture(scope="module")
def dbt_work_dir(tmp_path_factory) -> Path:
    """Target and logs of the dbt runs of one test module (shared, so later runs parse
    partially)."""
    return tmp_path_factory.mktemp("dbt_work")


@pytest.fixture
def run_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess run with its own warehouse, Dagster home and outputs."""
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "TRAFFICREPORT_DATA_DIR": str(tmp_path / "data"),
        "TRAFFICREPORT_DUCKDB": str(tmp_path / "data" / "warehouse.duckdb"),
        "TRAFFICREPORT_OUTPUT_DIR": str(tmp_path / "assets"),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt"),
        "GX_ANALYTICS_ENABLED": "False",
        "MPLBACKEND": "Agg",
        "PYTHONPATH": str(PROJECT_ROOT),
    }


@pytest.fixture
def hand_week_env(run_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A run environment whose sources are the hand-built week (tests/fixtures/hand_week)."""
    sources = tmp_path / "sources.yaml"
    fixture = FIXTURES / "hand_week"
    formats = {
        "flows": "canonical_csv",
        "assignments": "csv",
        "usage_counters": "csv",
        "monthly_totals": "csv",
    }
    sources.write_text(
        "kind: files\n"
        "files:\n"
        + "".join(
            f"  {table}:\n"
            f"    - name: hand-{table}\n"
            f"      format: {file_format}\n"
            f"      path: {fixture / f'{table}.csv'}\n"
            for table, file_format in formats.items()
        )
    )
    return {**run_env, "TRAFFICREPORT_SOURCES": str(sources)}


@pytest.fixture
def small_synthetic_env(run_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A run environment whose source is a small synthetic week (a few hundred users a
    service): for tests of how weeks run, where the default week's size adds only time."""
    sources = tmp_path / "small_sources.yaml"
    sources.write_text(
        "kind: synthetic\n"
        "synthetic:\n"
        "  seed: 20240603\n"
        "  pppoe_users: 400\n"
        "  ipoe_users: 300\n"
        "  mobile_users: 600\n"
        "  mobile_flow_users: 150\n"
        "  sampling_interval: 1000\n"
    )
    return {**run_env, "TRAFFICREPORT_SOURCES": str(sources)}


def dagster_materialize(env: dict[str, str], select: str, partition: str | None = None) -> str:
    """Run `dagster asset materialize` as CI does; returns its log, raises with it on failure."""
    command = [
        str(Path(sys.executable).parent / "dagster"),
        "asset",
        "materialize",
        "-m",
        "dagster_project.definitions",
        "--select",
        select,
    ]
    if partition:
        command += ["--partition", partition]
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    log = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise AssertionError(f"dagster asset materialize failed:\n{log[-6000:]}")
    return log
