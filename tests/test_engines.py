"""The hand-over from the Spark engine to the DuckDB warehouse, without Spark: Spark's tables
(written here as Spark lays them out) read back into the warehouse. The raw layer both
engines read is tested in tests/test_raw_lake.py."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.engines import spark_results

WEEK = date(2024, 6, 3)
OTHER_WEEK = date(2024, 6, 10)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def write_spark_table(warehouse: Path, name: str, query: str, week: date | None) -> None:
    """A table as Spark leaves it: part files, weekly ones in a week_start= folder."""
    folder = spark_results.table_folder(warehouse, name)
    if week is not None:
        folder = folder / f"week_start={week.isoformat()}"
    folder.mkdir(parents=True)
    duckdb.execute(f"copy ({query}) to '{folder}/part-00000.snappy.parquet' (format parquet)")


USAGE = spark_results.BuiltTable(
    "usage",
    weekly=True,
    declared_types={"week_start": "date", "service": "varchar", "bytes": "hugeint"},
)


def test_a_weekly_table_replaces_its_week_with_the_declared_types_and_order(con, tmp_path):
    con.execute(
        "create table main.usage as select * from (values "
        "('2024-06-03'::date, 'old', 1::hugeint), ('2024-06-10'::date, 'kept', 2::hugeint)) "
        "as t(week_start, service, bytes)"
    )
    # Spark moves the partition column last and writes sums as decimal(38, 0)
    write_spark_table(
        tmp_path, "usage", "select 'mobile' as service, 7::decimal(38, 0) as bytes", WEEK
    )
    assert spark_results.import_tables(con, tmp_path, [USAGE], WEEK) == ["usage"]
    rows = con.execute("select * from main.usage order by week_start").fetchall()
    assert rows == [(WEEK, "mobile", 7), (OTHER_WEEK, "kept", 2)]
    types = con.execute("select column_name, column_type from (describe main.usage)").fetchall()
    assert types == [("week_start", "DATE"), ("service", "VARCHAR"), ("bytes", "HUGEINT")]


def test_a_new_table_is_created_and_an_empty_week_empties_it(con, tmp_path):
    write_spark_table(tmp_path, "usage", "select 'mobile' as service, 7 as bytes", WEEK)
    spark_results.import_tables(con, tmp_path, [USAGE], WEEK)
    assert con.execute("select count(*) from main.usage").fetchone() == (1,)

    empty = tmp_path / "empty"
    spark_results.table_folder(empty, "usage").mkdir(parents=True)
    assert spark_results.import_tables(con, empty, [USAGE], WEEK) == ["usage"]
    assert con.execute("select count(*) from main.usage").fetchone() == (0,)
    assert spark_results.import_tables(duckdb.connect(), empty, [USAGE], WEEK) == []


def test_a_cross_week_table_is_replaced_whole(con, tmp_path):
    con.execute("create table main.growth as select 1 as stale")
    write_spark_table(tmp_path, "growth", "select 2.5::double as growth_factor", None)
    growth = spark_results.BuiltTable("growth", weekly=False, declared_types={})
    spark_results.import_tables(con, tmp_path, [growth], None)
    assert con.execute("select * from main.growth").fetchall() == [(2.5,)]


def test_tables_of_nodes_reads_kind_and_types_from_the_manifest():
    manifest = {
        "nodes": {
            "model.p.weekly": {
                "config": {"materialized": "incremental"},
                "resource_type": "model",
                "tags": ["weekly"],
                "alias": "weekly",
                "columns": {"week_start": {"data_type": "date"}, "note": {}},
            },
            "seed.p.rows": {
                "config": {"materialized": "seed"},
                "resource_type": "seed",
                "tags": ["weekly"],
                "alias": "rows",
                "columns": {},
            },
            "model.p.view": {"config": {"materialized": "view"}, "resource_type": "model"},
        }
    }
    tables = spark_results.tables_of_nodes(
        manifest, ["model.p.weekly", "seed.p.rows", "model.p.view"]
    )
    assert tables == [
        spark_results.BuiltTable("weekly", True, {"week_start": "date"}),
        spark_results.BuiltTable("rows", False, {}),
    ]
