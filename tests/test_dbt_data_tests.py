"""The project's generic data tests (dbt/tests/generic) on the hand-built week: each fails
the rows it is written for and passes the others."""

import re

import duckdb

from dagster_project.sources.address_numbers import halves_of
from tests.support.dbt_week import (
    ASSIGNMENTS,
    HELD_SINCE_JANUARY,
    NEXT_WEEK,
    WEEK,
    dbt_command,
    load_week,
    query,
    run_dbt,
    stored_failures,
)


def test_the_overlap_test_fails_nested_and_repeated_assignments_only(tmp_path, dbt_work_dir):
    """`assignments_do_not_overlap`: a /64 inside another subscriber's /56 held at the same
    time and a row given twice fail; an address handed over back to back, a /64 inside a
    /56 taken only after the /56 was released and an assignment that holds for no instant
    do not."""
    handover = "2024-06-04 00:00:00"
    instant = "2024-06-03 12:00:00"
    since_january = HELD_SINCE_JANUARY[0]
    added = (
        ("x1", "mobile", "mobile", "personal", "2001:db8:1:1ff::/64"),  # inside u1's /56
        ("m1", "mobile", "mobile", "personal", "10.100.0.1"),  # m1's row a second time
        ("b1", "broadband", "pppoe", "personal", "10.0.0.9", since_january, handover),
        ("b2", "broadband", "pppoe", "personal", "10.0.0.9", handover, None),
        ("y1", "broadband", "pppoe", "personal", "2001:db8:2:100::/56", since_january, handover),
        ("y2", "mobile", "mobile", "personal", "2001:db8:2:1aa::/64", handover, None),
        ("z1", "broadband", "pppoe", "personal", "10.0.0.9", instant, instant),  # in b1's
    )
    warehouse = tmp_path / "warehouse.duckdb"
    load_week(warehouse, WEEK, assignments=ASSIGNMENTS + added)
    run_dbt(warehouse, WEEK, dbt_work_dir, "run", "--select", "stg_assignments")
    test = ("test", "--select", "test_name:assignments_do_not_overlap", "--store-failures")
    assert dbt_command(warehouse, WEEK, dbt_work_dir, *test).returncode == 1
    failures = query(
        warehouse,
        "select distinct subscriber_id, other_subscriber_id "
        "from main_dbt_test__audit.assignments_do_not_overlap_stg_assignments_ order by all",
    )
    assert failures == [("m1", "m1"), ("u1", "x1")]


def test_the_unique_combination_test_reports_rows_alike_in_its_columns(tmp_path, dbt_work_dir):
    """`unique_combination` groups by a hash of the columns first: a row given twice (m1's
    assignment, so m1's address has two holders from the same instant) still fails it, with
    the columns and the count of the rows alike."""
    warehouse = tmp_path / "warehouse.duckdb"
    twice = ("m1", "mobile", "mobile", "personal", "10.100.0.1")
    load_week(warehouse, WEEK, assignments=(*ASSIGNMENTS, twice))
    models = ("build", "--select", "+int_address_holders", "--exclude", "resource_type:test")
    run_dbt(warehouse, WEEK, dbt_work_dir, *models, "resource_type:unit_test")
    test = ("test", "--select", "test_name:unique_combination,int_address_holders")
    assert dbt_command(warehouse, WEEK, dbt_work_dir, *test, "--store-failures").returncode == 1
    failures = stored_failures(warehouse, "*")
    hi, lo = halves_of("10.100.0.1")
    assert [(row[1], row[2], row[-1]) for row in failures] == [(hi, lo, 2)]


def test_the_grains_test_fails_a_grain_that_lost_a_flow(tmp_path, dbt_work_dir):
    """`grains_sum_alike`: the attributed flows' line, hour and port totals of a week each
    hold every flow end once; a port total short of one flow (bytes and count) fails the
    test for its service, and only for it."""
    warehouse = tmp_path / "warehouse.duckdb"
    load_week(warehouse, WEEK)
    models = ("build", "--select", "+int_attributed_flow_totals", "--exclude", "resource_type:test")
    run_dbt(warehouse, WEEK, dbt_work_dir, *models, "resource_type:unit_test")
    test = ("test", "--select", "test_name:grains_sum_alike")
    assert dbt_command(warehouse, WEEK, dbt_work_dir, *test).returncode == 0
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update int_attributed_flow_totals set bytes = bytes - 1000, flows = flows - 1 "
            "where grain = 'port' and service = 'mobile'"
        )
    assert dbt_command(warehouse, WEEK, dbt_work_dir, *test, "--store-failures").returncode == 1
    failures = stored_failures(warehouse, "service, grains, byte_sums")
    assert failures == [("mobile", 3, 2)]


def test_a_weekly_tables_tests_judge_the_analysis_week_only(tmp_path, dbt_work_dir):
    """The data tests of a weekly table read the week being built: a user given twice and a
    class lost in one week fail that week's tests, not the next week's. Before, every week's
    tests read all the weeks stored, growing with the warehouse's history (regression)."""
    warehouse = tmp_path / "warehouse.duckdb"
    models = ("build", "--select", "tag:weekly", "--exclude", "resource_type:test")
    for week in (WEEK, NEXT_WEEK):
        load_week(warehouse, week)
        run_dbt(warehouse, week, dbt_work_dir, *models, "resource_type:unit_test")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into int_user_week_totals "
            "select * from int_user_week_totals where week_start = ? limit 1",
            [WEEK],
        )
        con.execute(
            "update user_daily_usage set customer_class = null where week_start = ?", [WEEK]
        )
    tests = ("test", "--select", "int_user_week_totals", "user_daily_usage")
    assert dbt_command(warehouse, NEXT_WEEK, dbt_work_dir, *tests).returncode == 0
    judged = dbt_command(warehouse, WEEK, dbt_work_dir, *tests)
    failed = set(re.findall(r"Failure in test (\w+)", judged.stdout))
    assert failed == {
        "unique_combination_int_user_week_totals_week_start__service__access__subscriber_id",
        "not_null_user_daily_usage_customer_class",
    }, judged.stdout[-4000:]
