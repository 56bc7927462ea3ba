"""`dbt build` (models, data tests and unit tests) on a scratch warehouse with the hand-built
week of tests/support/dbt_week.py."""

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.assets.dbt_assets import ROW_COUNTS_DIR, build_arguments, recorded_rows
from tests.support.dbt_week import (
    FLOWS,
    NEXT_WEEK,
    WEEK,
    dbt_command,
    load_week,
    query,
    run_dbt,
)

WEEKLY_MARTS = (
    "user_daily_usage",
    "usage_summary",
    "usage_distribution",
    "top_user_shares",
    "user_sample",
    "port_usage",
    "hourly_port_traffic",
    "weekday_hourly_traffic",
    "traffic_attribution",
)


def week_rows(warehouse: Path, week_start: date) -> dict[str, list[tuple]]:
    return {
        mart: query(
            warehouse, f"select * from {mart} where week_start = ? order by all", week_start
        )
        for mart in WEEKLY_MARTS
    }


@pytest.fixture(scope="module")
def built_week(dbt_work_dir) -> Path:
    """One `dbt build` of the whole project: models, data tests and unit tests."""
    warehouse = dbt_work_dir / "built_week.duckdb"
    load_week(warehouse, WEEK)
    run_dbt(warehouse, WEEK, dbt_work_dir, "build")
    return warehouse


def test_users_are_per_access_and_week_total_over_seven(built_week):
    rows = query(
        built_week,
        "select service, access, customer_class, subscriber_id, daily_bytes_in, daily_bytes_out "
        "from user_daily_usage order by all",
    )
    assert rows == [
        ("broadband", "ipoe", "personal", "u1", 1_000_000.0, 10_000_000.0),
        ("broadband", "pppoe", "enterprise", "e1", pytest.approx(20_000 / 7), 0.0),
        ("broadband", "pppoe", "personal", "u1", pytest.approx(5_000 / 7),
         pytest.approx(10_000 / 7)),
        ("mobile", "mobile", "personal", "m1", 200_000.0, 2_000_000.0),
    ]  # fmt: skip
    users = query(
        built_week, "select direction, users from usage_summary where service = 'broadband'"
    )
    assert sorted(users) == [("IN", 2), ("OUT", 2)]  # enterprise e1 left out


def test_port_shares_count_pppoe_and_enterprise_but_not_unattributed(built_week):
    shares = dict(
        query(
            built_week,
            "select label || '/' || protocol_name, share_pct from port_usage "
            "where service = 'broadband' and bytes > 0",
        )
    )
    assert shares == {
        "TCP/TCP": pytest.approx(100 * 30_000 / 35_000),
        "(< 1024)/TCP": pytest.approx(100 * 30_000 / 35_000),
        "443 (https)/TCP": pytest.approx(100 * 10_000 / 35_000),
        "22 (ssh)/TCP": pytest.approx(100 * 20_000 / 35_000),
        "UDP/UDP": pytest.approx(100 * 5_000 / 35_000),
        "443 (https)/UDP": pytest.approx(100 * 5_000 / 35_000),
    }
    unattributed = query(
        built_week, "select bytes from traffic_attribution where direction = 'unattributed'"
    )
    assert unattributed == [(3_000,)]


def test_rebuilding_a_week_replaces_exactly_that_week(tmp_path, dbt_work_dir, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    # Only the weekly models: their data and unit tests run in the test above.
    # dbt build loads the seeds the models read; the week's data tests are not the point here.
    run_weekly = (
        "build",
        "--select",
        "tag:weekly",
        "--exclude",
        "resource_type:test",
        "resource_type:unit_test",
    )
    for week_start in (WEEK, NEXT_WEEK):
        load_week(warehouse, week_start)
        run_dbt(warehouse, week_start, dbt_work_dir, *run_weekly)
    next_week_before = week_rows(warehouse, NEXT_WEEK)
    assert all(next_week_before.values())

    load_week(warehouse, WEEK, flows=FLOWS[1:])  # the 10,000-byte TCP 443 download is gone
    run_dbt(warehouse, WEEK, dbt_work_dir, *run_weekly)

    assert week_rows(warehouse, NEXT_WEEK) == next_week_before
    totals = query(
        warehouse,
        "select week_start, total_bytes from port_usage "
        "where service = 'broadband' and row_order = 1 order by week_start",
    )
    assert totals == [(WEEK, 25_000), (NEXT_WEEK, 35_000)]

    load_week(warehouse, WEEK, flows=())  # a week without flows empties the flow marts
    counts = tmp_path / "row_counts"
    counts.mkdir()
    monkeypatch.setenv(ROW_COUNTS_DIR, str(counts))
    run_dbt(warehouse, WEEK, dbt_work_dir, *run_weekly)
    assert query(warehouse, "select count(*) from port_usage where week_start = ?", WEEK) == [(0,)]
    assert week_rows(warehouse, NEXT_WEEK) == next_week_before
    # each table's post-hook counted the rebuilt week's rows only, as the step shows them
    assert recorded_rows(counts, "port_usage") == 0
    (holders,) = query(warehouse, "select count(*) from int_holders where week_start = ?", WEEK)
    assert recorded_rows(counts, "int_holders") == holders[0] > 0
    assert recorded_rows(counts, "stg_flows") is None  # a view stores nothing to count


def test_a_new_week_reuses_the_saved_parse_and_reads_its_own_dates(tmp_path):
    """The week reaches dbt in its environment, read when a node runs: a new week's run
    starts from the project's saved parse instead of parsing every file again (as new vars
    made it), and its SQL still names its own week."""
    warehouse = tmp_path / "warehouse.duckdb"
    run_dbt(warehouse, WEEK, tmp_path, "parse")
    completed = dbt_command(
        warehouse, NEXT_WEEK, tmp_path, "compile", "--select", "stg_flows", "--log-level", "debug"
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "no changes found, skipping parsing" in completed.stdout
    compiled = next((tmp_path / "dbt_target" / "compiled").rglob("stg_flows.sql")).read_text()
    next_monday, monday_after = NEXT_WEEK.isoformat(), (NEXT_WEEK + timedelta(days=7)).isoformat()
    assert f"'{next_monday}'::date" in compiled and f"'{monday_after}'::date" in compiled
    assert WEEK.isoformat() not in compiled


def test_a_build_leaves_the_unit_tests_out_unless_they_are_asked_for(tmp_path, dbt_work_dir):
    """The weekly build runs the week's models and data tests; the unit tests (the SQL on
    fixed rows, which the test suite runs) only with TRAFFICREPORT_DBT_UNIT_TESTS=1."""

    def resource_types(unit_tests: bool) -> set[str]:
        _, *options = build_arguments(unit_tests, None)
        listing = ("--quiet", "ls", "--select", "tag:weekly", *options, "--output", "json")
        listed = dbt_command(tmp_path / "warehouse.duckdb", WEEK, dbt_work_dir, *listing)
        assert listed.returncode == 0, listed.stdout
        return {json.loads(line)["resource_type"] for line in listed.stdout.splitlines()}

    without = resource_types(unit_tests=False)
    assert {"model", "test"} <= without
    assert resource_types(unit_tests=True) == without | {"unit_test"}


def test_a_column_added_by_a_release_reaches_an_existing_warehouse(tmp_path, dbt_work_dir):
    """A warehouse built before `int_traffic_hourly` had `address_family` gets the column on
    its next week instead of failing every week from then on (regression)."""
    warehouse = tmp_path / "warehouse.duckdb"
    run_weekly = ("build", "--select", "tag:weekly", "--exclude", "resource_type:unit_test")
    load_week(warehouse, WEEK)
    run_dbt(warehouse, WEEK, dbt_work_dir, *run_weekly)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table main.int_traffic_hourly drop column address_family")

    load_week(warehouse, NEXT_WEEK)
    run_dbt(warehouse, NEXT_WEEK, dbt_work_dir, *run_weekly)

    families = query(
        warehouse,
        "select week_start, count(address_family) > 0 from int_traffic_hourly "
        "group by week_start order by week_start",
    )
    assert families == [(WEEK, False), (NEXT_WEEK, True)]


def test_means_and_shares_are_exact_whatever_the_order_of_the_rows(built_week):
    """Means and top-user shares divide exact integer sums, so they do not depend on the
    order DuckDB's threads add rows in (a mean of doubles differed in its 16th digit between
    two builds of the same inputs: regression)."""
    users = query(
        built_week,
        "select service, direction, week_bytes from int_personal_daily_usage order by all",
    )
    summary = query(built_week, "select service, direction, users, mean_mb from usage_summary")
    for service, direction, count, mean_mb in summary:
        week_bytes = [b for s, d, b in users if (s, d) == (service, direction)]
        assert count == len(week_bytes)
        assert mean_mb == float(sum(week_bytes)) / count / 7 / 1e6  # equal, not approximate
    shares = query(
        built_week,
        "select service, direction, top_bytes_week, total_bytes_week, share_pct "
        "from top_user_shares",
    )
    for service, direction, top, total, share in shares:
        assert total == float(sum(b for s, d, b in users if (s, d) == (service, direction)))
        assert share == 100.0 * int(top) / int(total)
