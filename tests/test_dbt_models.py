"""`dbt build` (models, data tests and unit tests) on a scratch warehouse with a hand-built week.

The week of 2024-06-03 (Asia/Tokyo), 1:10 sampling:

    broadband  198.51.100.1:443 -> 10.0.0.1 (u1, PPPoE)        TCP  1,000 x10 = 10,000 OUT u1
               2001:db8:1:1ff::5 (u1's /56) -> remote:443      UDP    500 x10 =  5,000 IN u1
               10.0.0.2 (e1, enterprise):22 -> remote:51000    TCP  2,000 x10 = 20,000 IN e1
               192.0.2.1 -> 192.0.2.2 (no subscriber)          TCP    300 x10 =  3,000 unattributed
    mobile     198.51.100.7:443 -> 10.100.0.1 (m1)             TCP    100 x10 =  1,000 OUT m1
    counters   u1 on IPoE: 7,000,000 IN / 70,000,000 OUT; m1: 1,400,000 IN / 14,000,000 OUT

Broadband port shares (PPPoE, enterprise included, unattributed out): total 35,000, TCP
30,000 (85.71%), TCP 22 20,000, UDP 443 5,000. u1 on PPPoE and on IPoE are two users.
"""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.assets.dbt_assets import ROW_COUNTS_DIR, build_arguments, recorded_rows
from dagster_project.sources import raw_schema
from dagster_project.sources.address_numbers import halves_of, network_of
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests.support.raw_weeks import new_rows, store

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"
WEEK = date(2024, 6, 3)
NEXT_WEEK = WEEK + timedelta(days=7)
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

# (flow_start UTC, src, dst, src_port, dst_port, protocol, bytes, service)
FLOWS = (
    ("2024-06-03 01:00:00", "198.51.100.1", "10.0.0.1", 443, 50001, 6, 1000, "broadband"),
    ("2024-06-03 02:00:00", "2001:db8:1:1ff::5", "2001:db8:ffff::1", 50002, 443, 17, 500,
     "broadband"),
    ("2024-06-04 03:00:00", "10.0.0.2", "203.0.113.1", 22, 51000, 6, 2000, "broadband"),
    ("2024-06-05 04:00:00", "192.0.2.1", "192.0.2.2", 40000, 443, 6, 300, "broadband"),
    ("2024-06-05 05:00:00", "198.51.100.7", "10.100.0.1", 443, 50003, 6, 100, "mobile"),
)  # fmt: skip

# (subscriber, service, access, class, address)
ASSIGNMENTS = (
    ("u1", "broadband", "pppoe", "personal", "10.0.0.1"),
    ("u1", "broadband", "pppoe", "personal", "2001:db8:1:100::/56"),
    ("e1", "broadband", "pppoe", "enterprise", "10.0.0.2"),
    ("m1", "mobile", "mobile", "personal", "10.100.0.1"),
)

# (subscriber, service, access, bytes_in, bytes_out) on the week's Monday
COUNTERS = (
    ("u1", "broadband", "ipoe", 7_000_000, 70_000_000),
    ("m1", "mobile", "mobile", 1_400_000, 14_000_000),
)


HELD_SINCE_JANUARY = ("2024-01-01 00:00:00", None)  # (valid_from, valid_to) unless given


def load_week(warehouse: Path, week_start: date, flows=FLOWS, assignments=ASSIGNMENTS) -> None:
    """Write the hand-built week, shifted to `week_start`, into the raw tables."""
    shift = week_start - WEEK
    with duckdb.connect(str(warehouse)) as con:
        lake = (raw_schema.FLOWS, raw_schema.ASSIGNMENTS, raw_schema.USAGE_COUNTERS)
        tables = {table: new_rows(con, table) for table in lake}
        for row, (start, src, dst, sport, dport, proto, size, service) in enumerate(flows):
            con.execute(
                f"insert into {tables[raw_schema.FLOWS]} values "
                "(?, ?::timestamp + ?, ?::timestamp + ? + interval 1 minute, ?, ?, ?, ?, ?, ?, ?,"
                " ?, 1, 10, false, 'record', ?, 'router-1', 'hand_week', ?)",
                [week_start, start, shift, start, shift, *halves_of(src), *halves_of(dst), sport,
                 dport, proto, size, service, row],
            )  # fmt: skip
        for subscriber, service, access, customer_class, address, *held in assignments:
            con.execute(
                f"insert into {tables[raw_schema.ASSIGNMENTS]} values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'hand_week')",
                [week_start, subscriber, service, access, customer_class, *network_of(address),
                 *(held or HELD_SINCE_JANUARY)],
            )  # fmt: skip
        for subscriber, service, access, bytes_in, bytes_out in COUNTERS:
            con.execute(
                f"insert into {tables[raw_schema.USAGE_COUNTERS]} values "
                "(?, ?, ?, ?, 'personal', ?, ?, ?, 'hand_week')",
                [week_start, subscriber, service, access, week_start, bytes_in, bytes_out],
            )
        store(con, tables)


def run_dbt(warehouse: Path, week_start: date, work_dir: Path, *arguments: str) -> None:
    """Run dbt on `warehouse` for one week; `work_dir` keeps target and logs (shared, so
    later runs parse partially)."""
    completed = dbt_command(warehouse, week_start, work_dir, *arguments)
    if completed.returncode != 0:
        raise AssertionError(f"dbt {arguments[0]} failed:\n{completed.stdout[-8000:]}")


def dbt_command(
    warehouse: Path, week_start: date, work_dir: Path, *arguments: str
) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *arguments,
        "--target-path",
        str(work_dir / "dbt_target"),
    ]
    env = {
        **os.environ,
        **AnalysisWeek(week_start).dbt_environment(),
        "DBT_PROFILES_DIR": str(DBT_DIR),
        "DBT_LOG_PATH": str(work_dir / "dbt_logs"),
        "TRAFFICREPORT_DUCKDB": str(warehouse),
    }
    return subprocess.run(
        command, cwd=DBT_DIR, env=env, capture_output=True, text=True, check=False
    )


def query(warehouse: Path, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def stored_failures(warehouse: Path, columns: str) -> list[tuple]:
    """`columns` of the failing rows of the one dbt test run with --store-failures."""
    ((audit,),) = query(
        warehouse,
        "select table_name from information_schema.tables "
        "where table_schema = 'main_dbt_test__audit'",
    )
    return query(warehouse, f"select {columns} from main_dbt_test__audit.{audit}")


def week_rows(warehouse: Path, week_start: date) -> dict[str, list[tuple]]:
    return {
        mart: query(
            warehouse, f"select * from {mart} where week_start = ? order by all", week_start
        )
        for mart in WEEKLY_MARTS
    }


@pytest.fixture(scope="module")
def dbt_work_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_work")


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
