"""A small, hand-made clean week of every raw table and mart the GX suites validate.

Tests break one thing at a time in a copy of these frames and assert which expectation
catches it.
"""

from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from dagster_project.sources.raw_lake import incoming_week, replace_whole
from dagster_project.sources.raw_schema import MONTHLY_TOTALS, USAGE_COUNTERS
from dagster_project.sources.raw_tables import ensure_raw_tables, registered, stage, transaction
from dagster_project.sources.week_load import write_assignments, write_flows
from dagster_project.warehouse import week_status

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
            "sampling_origin": "record",
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
    series = [("broadband", "pppoe"), ("broadband", "ipoe"), ("mobile", "mobile")]
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
    """Write the given (default: clean) frames as one week of the raw tables, their
    addresses numbered as the load numbers them."""
    ensure_raw_tables(con)
    flow_frame = flows() if flow_rows is None else flow_rows
    assignment_frame = assignments() if assignment_rows is None else assignment_rows
    counter_frame = usage_counters() if counter_rows is None else counter_rows
    with incoming_week(con, week) as incoming:
        with registered(con, "new_flows", flow_frame):
            write_flows(con, incoming, "new_flows")
        with registered(con, "new_assignments", assignment_frame):
            write_assignments(con, incoming, "new_assignments")
        with registered(con, "new_counters", counter_frame):
            incoming.write(USAGE_COUNTERS, "new_counters")
        with incoming.swapped_in("tests"), transaction(con):
            week_status.mark_loaded(con, week, "tests")
    stage(con, "staged_monthly_totals", monthly_totals() if monthly_rows is None else monthly_rows)
    replace_whole(con, MONTHLY_TOTALS, "staged_monthly_totals")


def _weekly(frame: pd.DataFrame) -> pd.DataFrame:
    frame.insert(0, "week_start", WEEK)
    return frame


def user_daily_usage() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            ("broadband", "pppoe", "personal", "bb1", "flows", 7e8, 7e9),
            ("broadband", "ipoe", "personal", "bb1", "counters", 3.5e8, 1.4e10),
            ("mobile", "mobile", "personal", "m1", "counters", 7e7, 7e8),
        ],
        columns=[
            "service",
            "access",
            "customer_class",
            "subscriber_id",
            "usage_source",
            "bytes_in_week",
            "bytes_out_week",
        ],
    )
    frame["daily_bytes_in"] = frame["bytes_in_week"] / 7
    frame["daily_bytes_out"] = frame["bytes_out_week"] / 7
    return _weekly(frame)


def usage_summary() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            ("broadband", "IN", 1000, 990, 834.0, 178.0, 47),
            ("broadband", "OUT", 1000, 999, 5743.0, 2372.0, 75),
            ("mobile", "IN", 2000, 1990, 16.3, 8.2, 23),
            ("mobile", "OUT", 2000, 1999, 150.4, 66.7, 41),
        ],
        columns=[
            "service",
            "direction",
            "users",
            "users_with_traffic",
            "mean_mb",
            "median_mb",
            "mode_bin",
        ],
    )
    frame["mode_mb"] = 10 ** (frame["mode_bin"] / 20)
    return _weekly(frame)


def usage_summary_by_year() -> pd.DataFrame:
    frame = usage_summary().drop(columns=["users_with_traffic"])
    frame.insert(0, "report_year", 2024)
    return frame


def usage_distribution() -> pd.DataFrame:
    curves = []
    for service, direction, peak in (("broadband", "IN", 170), ("broadband", "OUT", 190)):
        bins = pd.DataFrame({"bin": range(80, 221)})
        bins["users"] = (bins["bin"] - peak).abs().rsub(10).clip(lower=0)
        users_on_axis = bins["users"].sum()
        curves.append(
            bins.assign(
                service=service,
                direction=direction,
                log10_bytes=bins["bin"] / 20,
                log10_bytes_low=(bins["bin"] - 0.5) / 20,
                log10_bytes_high=(bins["bin"] + 0.5) / 20,
                users_on_axis=users_on_axis,
                density=bins["users"] / (users_on_axis * 0.05),
            )
        )
    return _weekly(pd.concat(curves, ignore_index=True))


def top_user_shares() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            ("broadband", "OUT", 1, 1000, 10, 15.0),
            ("broadband", "OUT", 10, 1000, 100, 50.0),
            ("broadband", "IN", 1, 1000, 10, 46.0),
            ("broadband", "IN", 10, 1000, 100, 75.0),
        ],
        columns=["service", "direction", "top_percent", "users", "top_users", "share_pct"],
    )
    frame["total_bytes_week"] = 1e15
    frame["top_bytes_week"] = frame["share_pct"] / 100 * 1e15
    return _weekly(frame)


def user_sample() -> pd.DataFrame:
    return _weekly(
        pd.DataFrame(
            {
                "service": ["broadband", "broadband", "mobile"],
                "access": ["pppoe", "ipoe", "mobile"],
                "subscriber_id": ["bb1", "bb1", "m1"],
                "sample_rank": [1, 2, 1],
                "daily_bytes_in": [1e8, 5e7, 2e6],
                "daily_bytes_out": [1e9, 2e9, 1e8],
            }
        )
    )


# label, level, protocol, port range, port, bytes (of 1,000 per service)
PORT_ROWS = (
    ("TCP", 0, "TCP", None, None, 700),
    ("(< 1024)", 1, "TCP", "low", None, 600),
    ("443 (https)", 2, "TCP", "low", 443, 600),
    ("(>= 1024)", 1, "TCP", "high", None, 100),
    ("UDP", 0, "UDP", None, None, 250),
    ("443", 1, "UDP", None, 443, 250),
    ("ESP", 0, "ESP", None, None, 50),
    ("other", 0, "other", None, None, 0),
)


def port_usage() -> pd.DataFrame:
    columns = ["label", "level", "protocol_name", "port_range", "port", "bytes"]
    rows = pd.DataFrame(PORT_ROWS, columns=columns)
    rows.insert(0, "row_order", range(1, len(rows) + 1))
    frame = pd.concat([rows.assign(service=s) for s in ("broadband", "mobile")])
    frame["total_bytes"] = 1000
    frame["share_pct"] = 100 * frame["bytes"] / frame["total_bytes"]
    return _weekly(frame.reset_index(drop=True))


def port_usage_by_year() -> pd.DataFrame:
    frame = port_usage()[["week_start", "service", "row_order", "label", "level", "share_pct"]]
    frame.insert(0, "report_year", 2024)
    return frame


def hourly_port_traffic() -> pd.DataFrame:
    hours = pd.DataFrame({"hour_of_week": range(168)})
    total = 100 + (hours["hour_of_week"] % 24) * 10
    buckets = [("TCP 443", 0.5), ("TCP 80", 0.1), ("TCP >= 1024", 0.1), ("UDP 443", 0.2)]
    series = [hours.assign(bucket=b, bytes=total * f) for b, f in buckets]
    series.append(hours.assign(bucket="total", bytes=total))
    frame = pd.concat(series, ignore_index=True).assign(service="broadband")
    frame["hour_start"] = pd.Timestamp(WEEK) + pd.to_timedelta(frame["hour_of_week"], unit="h")
    frame["bucket_order"] = frame.groupby("bucket", sort=False).ngroup() + 1
    frame["traffic"] = frame["bytes"] / total.max()
    return _weekly(frame)


def weekday_hourly_traffic() -> pd.DataFrame:
    hours = pd.DataFrame({"hour_of_day": range(24)})
    frame = pd.concat(
        [hours.assign(service="mobile", direction=d) for d in ("IN", "OUT")], ignore_index=True
    )
    frame["bytes_per_hour"] = 1e12 + frame["hour_of_day"] * 1e10
    frame["bits_per_second"] = frame["bytes_per_hour"] * 8 / 3600
    return _weekly(frame)


def traffic_attribution() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            ("broadband", "IN", "pppoe", 10, 100),
            ("broadband", "OUT", "pppoe", 30, 880),
            ("broadband", "unattributed", "none", 2, 20),
        ],
        columns=["service", "direction", "access", "flows", "bytes"],
    )
    frame["share_pct"] = 100 * frame["bytes"] / frame["bytes"].sum()
    return _weekly(frame)


def ipv6_share() -> pd.DataFrame:
    frame = pd.DataFrame({"direction": ["IN", "OUT"], "ipv4_bytes": [90, 600]})
    frame["ipv6_bytes"] = [10, 200]
    frame["total_bytes"] = frame["ipv4_bytes"] + frame["ipv6_bytes"]
    frame["ipv6_share_pct"] = 100 * frame["ipv6_bytes"] / frame["total_bytes"]
    return _weekly(frame.assign(service="broadband"))


def monthly_traffic() -> pd.DataFrame:
    rows = []
    for month in (date(2020, 1, 1), date(2020, 2, 1)):
        for direction, scale in (("IN", 0.1), ("OUT", 1.0)):
            for access, share in (("pppoe", 60.0), ("ipoe", 40.0), ("all", 100.0)):
                rate = 1e9 * scale * share / 100
                rows.append((month, "broadband", access, direction, rate, share))
    frame = pd.DataFrame(
        rows,
        columns=["month", "service", "access", "direction", "bits_per_second", "access_share_pct"],
    )
    frame["bytes"] = frame["bits_per_second"] / 8 * 86400 * 30
    frame["normalized_traffic"] = frame["bits_per_second"] / 1e9
    return frame


def _growth(frame: pd.DataFrame) -> pd.DataFrame:
    frame["annual_factor"] = frame["growth_factor"] ** (1 / frame["years"])
    return frame


def traffic_growth() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "service": "broadband",
            "direction": ["IN", "OUT"],
            "years": [5, 1],
            "from_month": [date(2019, 6, 1), date(2023, 6, 1)],
            "to_month": [date(2024, 6, 1), date(2024, 6, 1)],
            "from_bits_per_second": [1e12, 9e12],
            "to_bits_per_second": [1.72e12, 1.008e13],
        }
    )
    frame["growth_factor"] = frame["to_bits_per_second"] / frame["from_bits_per_second"]
    return _growth(frame)


def mode_growth(broadband_out_2024_mb: float = 10 ** (75 / 20)) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "service": "broadband",
            "direction": ["OUT", "IN"],
            "from_year": 2019,
            "to_year": 2024,
            "years": 5,
            "from_mode_mb": [10 ** (66 / 20), 10 ** (39 / 20)],
            "to_mode_mb": [broadband_out_2024_mb, 10 ** (47 / 20)],
        }
    )
    frame["growth_factor"] = frame["to_mode_mb"] / frame["from_mode_mb"]
    return _growth(frame)


def attribution_flows(unattributed_bytes: int = 20) -> pd.DataFrame:
    """The columns of int_attributed_flow_totals the unattributed-traffic check reads: line
    totals, and an hour total of the same flows that the check must not count again."""
    return _weekly(
        pd.DataFrame(
            {
                "grain": ["line", "line", "line", "hour"],
                "service": "broadband",
                "direction": ["IN", "OUT", "unattributed", "IN"],
                "bytes": [300, 700, unattributed_bytes, 300],
            }
        )
    )


MARTS = {
    "user_daily_usage": user_daily_usage,
    "usage_summary": usage_summary,
    "usage_summary_by_year": usage_summary_by_year,
    "usage_distribution": usage_distribution,
    "top_user_shares": top_user_shares,
    "user_sample": user_sample,
    "port_usage": port_usage,
    "port_usage_by_year": port_usage_by_year,
    "hourly_port_traffic": hourly_port_traffic,
    "weekday_hourly_traffic": weekday_hourly_traffic,
    "traffic_attribution": traffic_attribution,
    "ipv6_share": ipv6_share,
    "monthly_traffic": monthly_traffic,
    "traffic_growth": traffic_growth,
    "mode_growth": mode_growth,
    "int_attributed_flow_totals": attribution_flows,
}


def load_mart(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("mart_rows", frame)
    con.execute(f"create or replace table main.{name} as select * from mart_rows")
    con.unregister("mart_rows")
