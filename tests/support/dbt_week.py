"""A hand-built week in the raw tables of a scratch warehouse, and dbt run on it.

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

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb

from dagster_project.settings import DBT_PROJECT_DIR
from dagster_project.sources import raw_schema
from dagster_project.sources.address_numbers import halves_of, network_of
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests.support.raw_weeks import new_rows, store

WEEK = date(2024, 6, 3)
NEXT_WEEK = WEEK + timedelta(days=7)

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
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_LOG_PATH": str(work_dir / "dbt_logs"),
        "TRAFFICREPORT_DUCKDB": str(warehouse),
    }
    return subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False
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
