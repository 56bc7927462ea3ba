"""The same weeks on DuckDB and on Spark (local mode) leave the same tables and pages.

Each week is materialized twice the way CI does, once per engine (TRAFFICREPORT_ENGINE),
in its own warehouse; then every table of the two warehouses is compared (integers, text
and times exact, floats within 1e-9 relative) and so is the text of the week's page. The
builds run the data tests on each engine. Weeks: the hand-built week, whose builds also run
the dbt unit tests (TRAFFICREPORT_DBT_UNIT_TESTS=1: they test the SQL on rows of their own,
so one week per engine is enough), and a small synthetic week, with the cross-week models
over it.
"""

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import dagster_materialize
from tests.support.warehouse_tables import column_differences, main_tables, table_differences

pytestmark = pytest.mark.spark

WEEK = "2024-06-03"
WEEKLY_ASSETS = "tag:partitioned=weekly"
CROSS_WEEK_ASSETS = ",".join(
    (
        "raw_monthly_totals",
        "stg_monthly_totals",
        "monthly_traffic",
        "traffic_growth",
        "mode_growth",
        "usage_summary_by_year",
        "port_usage_by_year",
        "ipv6_share_by_week",
    )
)
# The week's address matches stay on neither engine: the DuckDB run deletes the week's rows
# once it is complete, the Spark run drops them on Spark and never reads them back.
ADDRESS_MATCHES = "int_address_holders"


def on_engine(env: dict[str, str], engine: str, root: Path, unit_tests: bool) -> dict[str, str]:
    """The environment of a run on `engine` with its own warehouse, outputs and Spark files;
    its dbt builds run the unit tests too when `unit_tests`."""
    (root / "dagster_home").mkdir(parents=True)
    (root / "dagster_home" / "dagster.yaml").write_text(
        Path(env["DAGSTER_HOME"], "dagster.yaml").read_text()
    )
    return {
        **env,
        "TRAFFICREPORT_ENGINE": engine,
        "DAGSTER_HOME": str(root / "dagster_home"),
        "TRAFFICREPORT_DATA_DIR": str(root / "data"),
        "TRAFFICREPORT_DUCKDB": str(root / "data" / "warehouse.duckdb"),
        "TRAFFICREPORT_OUTPUT_DIR": str(root / "assets"),
        "TRAFFICREPORT_DBT_UNIT_TESTS": "1" if unit_tests else "0",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


def page_text(env: dict[str, str]) -> str:
    html = Path(env["TRAFFICREPORT_OUTPUT_DIR"], "report", "weeks", f"{WEEK}.html").read_text()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def assert_same_tables(duckdb_env: dict[str, str], spark_env: dict[str, str]) -> None:
    left, right = duckdb_env["TRAFFICREPORT_DUCKDB"], spark_env["TRAFFICREPORT_DUCKDB"]
    tables = main_tables(left) - {ADDRESS_MATCHES}
    assert main_tables(right) - {ADDRESS_MATCHES} == tables
    differences = [
        difference
        for table in sorted(tables)
        for difference in table_differences(left, right, table)
    ]
    assert not differences, "\n".join(differences)


def assert_no_addresses_left_on_spark(spark_env: dict[str, str]) -> None:
    spark_dir = Path(spark_env["TRAFFICREPORT_DATA_DIR"], "spark")
    assert not (spark_dir / "raw").exists(), "Spark reads the raw lake, it keeps no copy"
    assert not list(spark_dir.glob(f"warehouse/*/{ADDRESS_MATCHES}/**/*.parquet"))
    # the models did run there
    assert list(spark_dir.glob(f"warehouse/*/usage_summary/week_start={WEEK}/*.parquet"))


def run_on_both(
    env: dict[str, str],
    tmp_path: Path,
    selections: list[tuple[str, str | None]],
    unit_tests: bool = False,
):
    runs = {
        engine: on_engine(env, engine, tmp_path / engine, unit_tests)
        for engine in ("duckdb", "spark")
    }
    for engine_env in runs.values():
        for select, partition in selections:
            dagster_materialize(engine_env, select, partition=partition)
    return runs["duckdb"], runs["spark"]


def test_hand_built_week_is_equal_on_spark(hand_week_env, tmp_path):
    duckdb_run, spark_run = run_on_both(
        hand_week_env, tmp_path, [(WEEKLY_ASSETS, WEEK)], unit_tests=True
    )
    assert_same_tables(duckdb_run, spark_run)
    assert page_text(spark_run) == page_text(duckdb_run)
    assert_no_addresses_left_on_spark(spark_run)


def test_small_synthetic_week_and_cross_week_models_are_equal_on_spark(
    small_synthetic_env, tmp_path
):
    duckdb_run, spark_run = run_on_both(
        small_synthetic_env, tmp_path, [(WEEKLY_ASSETS, WEEK), (CROSS_WEEK_ASSETS, None)]
    )
    assert_same_tables(duckdb_run, spark_run)
    assert page_text(spark_run) == page_text(duckdb_run)


@pytest.mark.parametrize(
    ("left", "right", "differs"),
    [
        (pd.Series([1.0, 2.0]), pd.Series([1.0, 2.0 * (1 + 1e-10)]), False),
        (pd.Series([1.0, 2.0]), pd.Series([1.0, 2.0 * (1 + 1e-8)]), True),
        (pd.Series([1.0, np.nan]), pd.Series([1.0, np.nan]), False),
        (pd.Series([3, None], dtype="Int64"), pd.Series([3, None], dtype="Int64"), False),
        (pd.Series([3, 4], dtype="Int64"), pd.Series([3, 5], dtype="Int64"), True),
        (pd.Series(["a", None]), pd.Series(["a", "None"]), True),
    ],
)
def test_the_comparison_tells_equal_from_different(left, right, differs):
    assert bool(column_differences("x", left, right)) is differs


def test_spark_runs_need_the_spark_extras():
    """The parity tests above need pyspark; scripts/test.sh installs it (setup.sh)."""
    import pyspark

    assert pyspark.__version__.startswith("4.")
    assert os.environ.get("JAVA_HOME") or Path("/usr/bin/java").exists()
