"""A small, hand-made clean week of every raw table and mart the GX suites validate.

Tests break one thing at a time in a copy of these frames and assert which expectation
catches it.
"""

from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from dagster_project.raw_schema import ASSIGNMENTS, FLOWS, MONTHLY_TOTALS, USAGE_COUNTERS
from dagster_project.warehouse import ensure_raw_tables, replace_table, replace_week, stage

WEEK = date(2024, 6, 3)
# Monday 00:00 Asia/Tokyo is Sunday 15:00 UTC.
WEEK_START_UTC = datetime(2024, 6, 2, 15, 0)


def at(hours: float) -> datetime:
    return WEEK_START_UTC + timedelta(hours=hours)


def flows() -> pd.DataFrame:
    rows = [
        # protocol, src_port, dst_port, bytes, packets, src, dst
        (6, 443, 51000, 1_500_000, 1_100, "203.0.113.7", "10.1.0.1"),
        (6, 51001, 80, 40_000, 400, "10.1.0.2", "198.51.100.3"),
        (17, 443, 61000, 800_000, 700, "2001:db8::1", "2001:db8:100::5"),
        (50, 0, 0, 90_000, 80, "10.1.0.1", "192.0.2.44"),
        (47, 0, 0, 60_000, 50, "10.1.0.2", "192.0.2.45"),
        (1, 0, 771, 84, 1, "192.0.2.9", "10.1.0.1"),  # ICMP type 3 code 3 in dst_port
    ]
    frame = pd.DataFrame(
        rows, columns=["protocol", "src_port", "dst_port", "bytes", "packets", "src", "dst"]
    )
    return pd.DataFrame(
        {
            "flow_start": [at(10 + i) for i in range(len(rows))],
            "flow_end": [at(10 + i) + timedelta(seconds=30) for i in range(len(rows))],
            "src_addr": frame["src"],
            "dst_addr": frame["dst"],
            "src_port": frame["src_port"],
            "dst_port": frame["dst_port"],
            "protocol": frame["protocol"],
            "bytes": frame["bytes"],
            "packets": frame["packets"],
            "sampling_interval": 1000,
            "counts_scaled": False,
            "service": "broadband",
            "exporter": "bras1",
            "source_file": "flows.csv",
            "source_row": range(2, len(rows) + 2),
        }
    )


def assignments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subscriber_id": ["bb1", "bb2", "bb3", "m1"],
            "service": ["broadband", "broadband", "broadband", "mobile"],
            "access": ["pppoe", "pppoe", "ipoe", "mobile"],
            "customer_class": ["personal", "personal", "enterprise", "personal"],
            # bb1 hands 10.1.0.1 over to bb2 at hour 48: back to back, no overlap.
            "address": ["10.1.0.1", "10.1.0.1", "2001:db8:100::/56", "100.64.0.9"],
            "valid_from": [at(-24), at(48), at(-100), at(0)],
            "valid_to": [at(48), None, None, at(200)],
            "source_file": "radius.csv",
        }
    )


def usage_counters() -> pd.DataFrame:
    days = [WEEK, WEEK + timedelta(days=6)]
    return pd.DataFrame(
        {
            "subscriber_id": ["m1", "m1", "bb3", "bb3"],
            "service": ["mobile", "mobile", "broadband", "broadband"],
            "access": ["mobile", "mobile", "ipoe", "ipoe"],
            "customer_class": "personal",
            "day": days * 2,
            "bytes_in": [10_000_000, 0, 300_000_000, 250_000_000],
            "bytes_out": [90_000_000, 1_000, 3_000_000_000, 2_500_000_000],
            "source_file": "billing.csv",
        }
    )


def monthly_totals() -> pd.DataFrame:
    series = [
        ("broadband", "pppoe"),
        ("broadband", "ipoe"),
        ("mobile", "mobile"),
    ]
    rows = [
        (date(2024, month, 1), service, access, direction, 10**15 * (month + 1))
        for month in (1, 2, 3)
        for service, access in series
        for direction in ("IN", "OUT")
    ]
    frame = pd.DataFrame(rows, columns=["month", "service", "access", "direction", "bytes"])
    frame["source_file"] = "interfaces.csv"
    return frame


def load(
    con: duckdb.DuckDBPyConnection,
    week: date = WEEK,
    *,
    flow_rows: pd.DataFrame | None = None,
    assignment_rows: pd.DataFrame | None = None,
    counter_rows: pd.DataFrame | None = None,
    monthly_rows: pd.DataFrame | None = None,
) -> None:
    """Write the given (default: clean) frames as one week of the raw tables."""
    ensure_raw_tables(con)
    weekly = (
        (FLOWS, flows() if flow_rows is None else flow_rows),
        (ASSIGNMENTS, assignments() if assignment_rows is None else assignment_rows),
        (USAGE_COUNTERS, usage_counters() if counter_rows is None else counter_rows),
    )
    for table, frame in weekly:
        stage(con, f"staged_{table.name}", frame)
        replace_week(con, table, week, f"staged_{table.name}")
    stage(con, "staged_monthly_totals", monthly_totals() if monthly_rows is None else monthly_rows)
    replace_table(con, MONTHLY_TOTALS, "staged_monthly_totals")


def port_usage() -> pd.DataFrame:
    """Protocol rows (level 0) that share all bytes, and port rows inside them."""
    rows = [
        ("broadband", 1, "TCP", 0, "TCP", None, 600.0),
        ("broadband", 3, "443 (https)", 2, "TCP", 443, 600.0),
        ("broadband", 12, "UDP", 0, "UDP", None, 300.0),
        ("broadband", 13, "443 (https)", 1, "UDP", 443, 300.0),
        ("broadband", 18, "ESP", 0, "ESP", None, 100.0),
        ("mobile", 1, "TCP", 0, "TCP", None, 50.0),
        ("mobile", 12, "UDP", 0, "UDP", None, 50.0),
    ]
    columns = ["service", "row_order", "label", "level", "protocol_name", "port", "bytes"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(0, "week_start", WEEK)
    totals = frame[frame["level"] == 0].groupby("service")["bytes"].sum()
    frame["share_pct"] = 100 * frame["bytes"] / frame["service"].map(totals)
    return frame


def load_mart(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("mart_rows", frame)
    con.execute(f"create or replace table main.{name} as select * from mart_rows")
    con.unregister("mart_rows")
