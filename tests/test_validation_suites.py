"""Every GX suite passes on a clean week and fails, for the stated reason, on broken data."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from dagster_project.validation import raw_frames, week_changes
from dagster_project.validation.gx_suites import (
    ValidationOutcome,
    load_suite_definition,
    validate_batch,
    with_bulk_comparable_dtypes,
)
from dagster_project.validation.suite_catalogue import SUITE_CHECKS, SuiteCheck
from dagster_project.warehouse import week_status
from dagster_project.warehouse.address_retention import cut_week
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests import validation_data as data

CHECKS = {spec.check_name: spec for spec in SUITE_CHECKS}


def warehouse(con: duckdb.DuckDBPyConnection, **frames: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """`con`'s new warehouse with the clean week; `frames` replace raw frames or marts."""
    data.load(con, **{k: v for k, v in frames.items() if k not in data.MARTS})
    for name, build in data.MARTS.items():
        data.load_mart(con, name, frames[name] if name in frames else build())
    return con


def run(con: duckdb.DuckDBPyConnection, check_name: str) -> ValidationOutcome:
    spec: SuiteCheck = CHECKS[check_name]
    week = AnalysisWeek(data.WEEK) if spec.weekly else None
    return validate_batch(spec.fetch(con, week), spec.suite)


def failures(outcome: ValidationOutcome) -> set[tuple[str, str | None]]:
    return {(f.expectation, f.column) for f in outcome.failed}


@pytest.fixture(autouse=True)
def own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The drift checks record each week's totals under the data directory."""
    monkeypatch.setenv("TRAFFICREPORT_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def clean(new_warehouse) -> duckdb.DuckDBPyConnection:
    return warehouse(new_warehouse())


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_clean_week_passes(clean: duckdb.DuckDBPyConnection, check_name: str) -> None:
    outcome = run(clean, check_name)
    assert outcome.success, outcome.as_markdown()
    assert outcome.evaluated == len(load_suite_definition(CHECKS[check_name].suite)["expectations"])


def test_every_expectation_says_what_it_catches() -> None:
    for spec in SUITE_CHECKS:
        for expectation in load_suite_definition(spec.suite)["expectations"]:
            assert expectation["meta"]["catches"].strip(), (spec.suite, expectation["type"])


def test_narrow_numbers_and_timestamps_are_widened_for_gx_to_compare_in_bulk() -> None:
    frame = pd.DataFrame(
        {
            "port": pd.Series([443, 80], dtype="int32"),
            "protocol": pd.Series([6, 17], dtype="uint8"),
            "share": pd.Series([0.5, 0.25], dtype="float32"),
            "start": pd.Series(pd.to_datetime(["2024-06-03", "2024-06-04"]).as_unit("us")),
            "far": pd.Series(np.array(["2024-06-03", "3000-01-01"], dtype="datetime64[us]")),
            "bytes": pd.Series([1, 2**63 - 1], dtype="int64"),
            "flows": pd.Series([1, 2**64 - 1], dtype="uint64"),
            "service": ["broadband", "mobile"],
            "scaled": [True, False],
        }
    )
    widened = with_bulk_comparable_dtypes(frame)
    assert widened.dtypes.astype(str).to_dict() == {
        "port": "int64",
        "protocol": "int64",
        "share": "float64",
        "start": "datetime64[ns]",
        "far": "datetime64[us]",  # beyond nanoseconds' range: left as it is
        "bytes": "int64",
        "flows": "uint64",
        "service": str(frame["service"].dtype),
        "scaled": "bool",
    }
    for column in frame.columns:
        assert widened[column].tolist() == frame[column].tolist(), column


def changed(frame: pd.DataFrame, row: int, **values: Any) -> pd.DataFrame:
    frame = frame.copy()
    for column, value in values.items():
        frame[column] = frame[column].astype(object)
        frame.at[row, column] = value
    return frame


BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"

# (broken raw frames, check, the expectation that must catch it)
BROKEN: dict[str, tuple[Callable[[], dict[str, pd.DataFrame]], str, tuple[str, str | None]]] = {
    "port above 65535": (
        lambda: {"flow_rows": changed(data.flows(), 0, src_port=70000)},
        "gx_raw_flows",
        (BETWEEN, "src_port"),
    ),
    "port above 65535, week profile": (
        lambda: {"flow_rows": changed(data.flows(), 0, src_port=70000)},
        "gx_raw_flows_profile",
        (BETWEEN, "max_src_port"),
    ),
    "port on ESP": (
        lambda: {"flow_rows": changed(data.flows(), 3, dst_port=500)},
        "gx_raw_flows",
        (IN_SET, "dst_port"),
    ),
    "port on GRE, week profile": (
        lambda: {"flow_rows": changed(data.flows(), 4, src_port=1723)},
        "gx_raw_flows_profile",
        (IN_SET, "max_src_port"),
    ),
    "unknown protocol": (
        lambda: {"flow_rows": changed(data.flows(), 4, protocol=253)},
        "gx_raw_flows",
        (IN_SET, "protocol"),
    ),
    "unknown protocol, week profile": (
        lambda: {"flow_rows": changed(data.flows(), 4, protocol=253)},
        "gx_raw_flows_profile",
        (IN_SET, "protocol"),
    ),
    "bytes and packets swapped": (
        lambda: {"flow_rows": changed(data.flows(), 1, bytes=400, packets=40_000)},
        "gx_raw_flows",
        (PAIR, "bytes vs min_ip_bytes"),
    ),
    "bytes below IP header, week profile": (
        lambda: {"flow_rows": changed(data.flows(), 1, bytes=400, packets=40_000)},
        "gx_raw_flows_profile",
        (IN_SET, "records_below_ip_header"),
    ),
    "bytes scaled but packets not": (
        lambda: {"flow_rows": changed(data.flows(), 2, bytes=800_000_000, packets=7)},
        "gx_raw_flows",
        (PAIR, "max_ip_bytes vs bytes"),
    ),
    "flow before the week": (
        lambda: {"flow_rows": changed(data.flows(), 0, flow_start=data.at(-1))},
        "gx_raw_flows",
        (BETWEEN, "flow_start"),
    ),
    # Beyond datetime64[ns]'s range, so GX compares this column row by row.
    "flow stamped centuries ahead": (
        lambda: {"flow_rows": changed(data.flows(), 0, flow_start=data.at(1000 * 365 * 24))},
        "gx_raw_flows",
        (BETWEEN, "flow_start"),
    ),
    "flow after the week, week profile": (
        lambda: {"flow_rows": changed(data.flows(), 0, flow_start=data.at(7 * 24))},
        "gx_raw_flows_profile",
        (IN_SET, "records_outside_week"),
    ),
    "sampling interval 0": (
        lambda: {"flow_rows": changed(data.flows(), 0, sampling_interval=0)},
        "gx_raw_flows",
        (BETWEEN, "sampling_interval"),
    ),
    "sampling interval 0, week profile": (
        lambda: {"flow_rows": changed(data.flows(), 0, sampling_interval=0)},
        "gx_raw_flows_profile",
        (BETWEEN, "min_sampling_interval"),
    ),
    "IPv6 source, IPv4 destination": (
        lambda: {"flow_rows": changed(data.flows(), 0, src_addr="2001:db8::7")},
        "gx_raw_flows",
        ("expect_column_values_to_be_in_set", "ends_share_family"),
    ),
    "IPv4 /33": (
        lambda: {"assignment_rows": changed(data.assignments(), 3, address="100.64.0.9/33")},
        "gx_raw_assignments",
        ("expect_column_values_to_be_in_set", "prefix_fits_family"),
    ),
    "overlapping assignments": (
        lambda: {"assignment_rows": changed(data.assignments(), 1, valid_from=data.at(47))},
        "gx_raw_assignments",
        (IN_SET, "overlaps_earlier_interval"),
    ),
    "assignment ends before it starts": (
        lambda: {"assignment_rows": changed(data.assignments(), 3, valid_to=data.at(-5))},
        "gx_raw_assignments",
        (PAIR, "valid_to vs valid_from"),
    ),
    "mobile assignment with broadband access": (
        lambda: {"assignment_rows": changed(data.assignments(), 3, access="pppoe")},
        "gx_raw_assignments",
        (IN_SET, "access"),
    ),
    "counter day outside the week": (
        lambda: {
            "counter_rows": changed(data.usage_counters(), 1, day=data.WEEK + timedelta(days=7))
        },
        "gx_raw_usage_counters",
        (BETWEEN, "day"),
    ),
    "negative counter": (
        lambda: {"counter_rows": changed(data.usage_counters(), 2, bytes_in=-5)},
        "gx_raw_usage_counters",
        (BETWEEN, "bytes_in"),
    ),
    "billing file loaded twice": (
        lambda: {"counter_rows": pd.concat([data.usage_counters()] * 2, ignore_index=True)},
        "gx_raw_usage_counters",
        ("expect_compound_columns_to_be_unique", None),
    ),
    "missing month in a series": (
        lambda: {"monthly_rows": data.monthly_totals().drop(index=[6, 7])},
        "gx_raw_monthly_totals",
        (IN_SET, "months_since_previous"),
    ),
    "missing series in a month": (
        lambda: {"monthly_rows": data.monthly_totals().drop(index=[9])},
        "gx_raw_monthly_totals",
        ("expect_column_pair_values_to_be_equal", "series_in_month vs series_overall"),
    ),
    "mid-month reading": (
        lambda: {
            "monthly_rows": changed(data.monthly_totals(), 0, month=pd.Timestamp("2024-01-15"))
        },
        "gx_raw_monthly_totals",
        (IN_SET, "day_of_month"),
    ),
    "PPPoE user from counters": (
        lambda: {"user_daily_usage": changed(data.user_daily_usage(), 0, usage_source="counters")},
        "gx_user_daily_usage",
        (IN_SET, "usage_source"),
    ),
    "mean below median": (
        lambda: {"usage_summary": changed(data.usage_summary(), 2, mean_mb=5.0)},
        "gx_usage_summary",
        (PAIR, "mean_mb vs median_mb"),
    ),
    "mode off the 0.05-decade grid": (
        lambda: {"usage_summary": changed(data.usage_summary(), 1, mode_mb=5600.0)},
        "gx_usage_summary",
        (BETWEEN, "mode_grid_offset"),
    ),
    "mode off the grid, by year": (
        lambda: {"usage_summary_by_year": changed(data.usage_summary_by_year(), 0, mode_mb=230.0)},
        "gx_usage_summary_by_year",
        (BETWEEN, "mode_grid_offset"),
    ),
    "density normalised with the wrong bin width": (
        lambda: {
            "usage_distribution": data.usage_distribution().assign(
                density=lambda f: f["users"] / (f["users_on_axis"] * 0.1)
            )
        },
        "gx_usage_distribution",
        (BETWEEN, "curve_integral"),
    ),
    "density curve missing a bin": (
        lambda: {"usage_distribution": data.usage_distribution().drop(index=[0])},
        "gx_usage_distribution",
        (IN_SET, "bins_in_curve"),
    ),
    "top 1% above top 10%": (
        lambda: {"top_user_shares": changed(data.top_user_shares(), 0, share_pct=55.0)},
        "gx_top_user_shares",
        (PAIR, "top10_share_pct vs share_pct"),
    ),
    "users ranked lightest first": (
        lambda: {"top_user_shares": changed(data.top_user_shares(), 1, share_pct=8.0)},
        "gx_top_user_shares",
        (PAIR, "share_pct vs top_percent"),
    ),
    "sampled user without upload": (
        lambda: {"user_sample": changed(data.user_sample(), 2, daily_bytes_in=0.0)},
        "gx_user_sample",
        (BETWEEN, "daily_bytes_in"),
    ),
    "protocol shares not adding up": (
        lambda: {"port_usage": data.port_usage().drop(index=[6])},
        "gx_port_usage",
        (BETWEEN, "protocol_share_total"),
    ),
    "port above its protocol": (
        lambda: {"port_usage": changed(data.port_usage(), 2, share_pct=75.0)},
        "gx_port_usage",
        (PAIR, "protocol_share_pct vs share_pct"),
    ),
    "yearly protocol shares not adding up": (
        lambda: {"port_usage_by_year": data.port_usage_by_year().drop(index=[4])},
        "gx_port_usage_by_year",
        (BETWEEN, "protocol_share_total"),
    ),
    "total not peaking at 1": (
        lambda: {
            "hourly_port_traffic": data.hourly_port_traffic().assign(
                traffic=lambda f: f["bytes"] / (2 * f["bytes"].max())
            )
        },
        "gx_hourly_port_traffic",
        (IN_SET, "total_peak"),
    ),
    "bucket above the total": (
        lambda: {"hourly_port_traffic": changed(data.hourly_port_traffic(), 5, bytes=10_000)},
        "gx_hourly_port_traffic",
        (PAIR, "total_bytes_in_hour vs bytes_value"),
    ),
    "weekday curve missing an hour": (
        lambda: {"weekday_hourly_traffic": data.weekday_hourly_traffic().drop(index=[3])},
        "gx_weekday_hourly_traffic",
        (IN_SET, "hours_in_curve"),
    ),
    "attribution shares not adding up": (
        lambda: {"traffic_attribution": data.traffic_attribution().drop(index=[2])},
        "gx_traffic_attribution",
        (BETWEEN, "service_share_total"),
    ),
    "ipv4 and ipv6 not adding up to the total": (
        lambda: {"ipv6_share": changed(data.ipv6_share(), 1, total_bytes=1_000)},
        "gx_ipv6_share",
        (BETWEEN, "family_bytes_gap"),
    ),
    "ipv6 share over 100%": (
        lambda: {"ipv6_share": changed(data.ipv6_share(), 0, ipv6_share_pct=1_000.0)},
        "gx_ipv6_share",
        (BETWEEN, "ipv6_share_pct"),
    ),
    "access missing from a month": (
        lambda: {"monthly_traffic": data.monthly_traffic().drop(index=[1])},
        "gx_monthly_traffic",
        (BETWEEN, "access_share_total"),
    ),
    "monthly series normalised per access": (
        lambda: {
            "monthly_traffic": data.monthly_traffic().assign(
                normalized_traffic=lambda f: f["access_share_pct"] / 100
            )
        },
        "gx_monthly_traffic",
        (BETWEEN, "normalization_spread"),
    ),
    "annual rate over the wrong span": (
        lambda: {"traffic_growth": changed(data.traffic_growth(), 0, annual_factor=1.72**0.25)},
        "gx_traffic_growth",
        (BETWEEN, "annual_factor_error"),
    ),
    "mode growth off the grid": (
        lambda: {"mode_growth": data.mode_growth(broadband_out_2024_mb=5743.0)},
        "gx_mode_growth",
        (BETWEEN, "factor_grid_offset"),
    ),
    "interface rx/tx instead of IN/OUT": (
        lambda: {"monthly_rows": changed(data.monthly_totals(), 0, direction="rx")},
        "gx_raw_monthly_totals",
        (IN_SET, "direction"),
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_data_fails_for_the_stated_reason(case: str, new_warehouse) -> None:
    frames, check_name, expected = BROKEN[case]
    outcome = run(warehouse(new_warehouse(), **frames()), check_name)
    assert not outcome.success
    assert expected in failures(outcome), outcome.as_markdown()
    failed = next(f for f in outcome.failed if (f.expectation, f.column) == expected)
    assert failed.catches
    assert failed.examples
    # the check's metadata is JSON: examples with dates must serialize (they crashed the check)
    json.dumps(failed.examples)


def test_unattributed_traffic_above_five_percent_warns(new_warehouse) -> None:
    con = warehouse(
        new_warehouse(), int_attributed_flow_totals=data.attribution_flows(unattributed_bytes=100)
    )
    outcome = run(con, "gx_unattributed_traffic")
    assert failures(outcome) == {(BETWEEN, "unattributed_pct")}
    assert outcome.failed[0].examples[0]["service"] == "broadband"


def test_traffic_halving_from_the_previous_week_warns(new_warehouse) -> None:
    con = warehouse(new_warehouse())
    heavy = data.flows().assign(bytes=lambda f: f["bytes"] * 3)
    data.load(con, data.WEEK - timedelta(days=7), flow_rows=heavy)
    outcome = run(con, "gx_flow_traffic_drift")
    assert failures(outcome) == {(BETWEEN, "change_pct")}
    assert outcome.failed[0].examples[0]["service"] == "broadband"


def test_steady_traffic_and_users_pass_the_drift_checks(new_warehouse) -> None:
    con = warehouse(new_warehouse())
    data.load(con, data.WEEK - timedelta(days=7))
    for check_name in ("gx_flow_traffic_drift", "gx_counter_traffic_drift", "gx_user_count_drift"):
        outcome = run(con, check_name)
        assert outcome.success, outcome.as_markdown()
        assert outcome.gx_result.results[0].result["element_count"] > 0


def test_user_count_change_above_twenty_percent_warns(new_warehouse) -> None:
    con = warehouse(new_warehouse())
    more_users = pd.concat(
        [data.usage_counters(), data.usage_counters().assign(subscriber_id="m2")]
    )
    data.load(con, data.WEEK - timedelta(days=7), counter_rows=more_users)
    outcome = run(con, "gx_user_count_drift")
    assert failures(outcome) == {(BETWEEN, "change_pct")}


def subscriber_tables() -> duckdb.DuckDBPyConnection:
    """An in-memory raw.assignments and raw.usage_counters with the columns the user count
    reads, empty."""
    con = duckdb.connect()
    con.execute("create schema raw")
    for table in ("assignments", "usage_counters"):
        con.execute(
            f"create table raw.{table} (week_start date, service varchar, access varchar, "
            "subscriber_id varchar)"
        )
    return con


def test_users_are_counted_once_per_service_access_and_pseudonym() -> None:
    """A user with assignments and counters is one user; the same pseudonym on another
    access is another (a subscriber using PPPoE and IPoE counts twice)."""
    con = subscriber_tables()
    rows = {
        "assignments": [
            ("broadband", "pppoe", "a"), ("broadband", "pppoe", "a"),
            ("broadband", "ipoe", "a"), ("broadband", "ipoe", "b"), ("mobile", "mobile", "m"),
        ],
        "usage_counters": [
            ("broadband", "ipoe", "b"), ("broadband", "ipoe", "c"), ("mobile", "mobile", "m"),
            ("mobile", "mobile", "n"),
        ],
    }  # fmt: skip
    for table, users in rows.items():
        for week in (data.WEEK, data.WEEK - timedelta(days=7)):
            con.executemany(f"insert into raw.{table} values (?, ?, ?, ?)",
                            [(week, *user) for user in users])  # fmt: skip
    batch = week_changes.subscriber_count_change(con, AnalysisWeek(data.WEEK))
    users = batch.frame.set_index("service")
    # broadband: a on pppoe, a on ipoe, b, c; mobile: m, n
    assert users["this_week"].to_dict() == {"broadband": 4.0, "mobile": 2.0}
    assert users["previous_week"].to_dict() == {"broadband": 4.0, "mobile": 2.0}
    assert users["change_pct"].to_dict() == {"broadband": 0.0, "mobile": 0.0}


def test_users_of_a_service_above_the_exact_limit_are_estimated_from_a_hash_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A service with more rows than the limit counts the users of 1 in 2^k hash buckets, k
    the smallest that brings its rows under the limit; a service under it counts exactly."""
    monkeypatch.setattr(week_changes, "EXACT_USER_ROWS", 1_000)
    con = subscriber_tables()
    # broadband: 4,000 users, each with an assignment and a counter row (8,000 rows: 1 in 8);
    # mobile: 3 users with 2 rows each, counted exactly
    con.execute(
        """
        insert into raw.assignments
        select $week, 'broadband', 'ipoe', 'user' || i from range(4000) as users(i)
        """,
        {"week": data.WEEK},
    )
    con.execute(
        """
        insert into raw.usage_counters
        select $week, 'broadband', 'ipoe', 'user' || i from range(4000) as users(i)
        union all
        select $week, 'mobile', 'mobile', 'phone' || i from range(3) as users(i), range(2)
        """,
        {"week": data.WEEK},
    )
    batch = week_changes.subscriber_count_change(con, AnalysisWeek(data.WEEK))
    users = batch.frame.set_index("service")["this_week"].to_dict()
    assert users["mobile"] == 3
    # an estimate from 1 in 8 buckets (here a multiple of 8 and not of 16, not the exact
    # count), within three of its standard errors, sqrt(7 / 4000) = 4.2% each
    assert users["broadband"] % 8 == 0 and users["broadband"] % 16 != 0
    assert abs(users["broadband"] / 4000 - 1) < 3 * (7 / 4000) ** 0.5
    assert "estimated from the users of a hash sample" in batch.scope


def test_flow_sample_is_capped_and_deterministic(new_warehouse) -> None:
    con = warehouse(new_warehouse())
    spec = CHECKS["gx_raw_flows"]
    first, second = (
        spec.fetch(con, AnalysisWeek(data.WEEK), max_rows=3),
        spec.fetch(con, AnalysisWeek(data.WEEK), max_rows=3),
    )
    assert len(first.frame) == 3
    assert first.frame.equals(second.frame)
    assert first.scope == (
        "3 of 6 rows of raw.flows for the week (deterministic sample by row hash)"
    )


def test_a_sample_is_the_rows_of_smallest_hash_and_stays_capped_among_equal_rows(
    new_warehouse,
) -> None:
    """The bound is found over the hash alone; rows of equal hash at it are still capped."""
    con = warehouse(new_warehouse())
    week = AnalysisWeek(data.WEEK)
    sample = CHECKS["gx_raw_flows"].fetch(con, week, max_rows=4).frame
    smallest = con.execute(
        "select source_row from raw.flows order by hash(source_file, source_row, flow_start, "
        "src_addr_hi, src_addr_lo, dst_addr_hi, dst_addr_lo) limit 4"
    ).fetchall()
    assert sample["source_row"].tolist() == [row for (row,) in smallest]
    twins = data.flows().iloc[[0] * 5]
    con = warehouse(new_warehouse(), flow_rows=twins)
    assert len(CHECKS["gx_raw_flows"].fetch(con, week, max_rows=3).frame) == 3


def test_capped_assignments_keep_overlapping_rows_first(new_warehouse) -> None:
    """One network, its second holder taking it an hour early: the frame capped at one row
    holds the overlapping one."""
    overlapping = changed(data.assignments(), 1, valid_from=data.at(47)).iloc[[0, 1]]
    con = warehouse(new_warehouse(), assignment_rows=overlapping)
    batch = CHECKS["gx_raw_assignments"].fetch(con, AnalysisWeek(data.WEEK), max_rows=1)
    assert batch.frame["overlaps_earlier_interval"].tolist() == [True]


def test_the_assignment_sample_takes_whole_networks(new_warehouse) -> None:
    """Fifty addresses, each handed from one holder to the next: a capped frame holds both
    rows of each network it samples, so their overlaps are judged on every row."""
    networks = range(50)
    rows = pd.DataFrame(
        {
            "subscriber_id": [f"n{n}{holder}" for n in networks for holder in "ab"],
            "service": "broadband",
            "access": "pppoe",
            "customer_class": "personal",
            "address": [f"10.2.0.{n}" for n in networks for _ in "ab"],
            "valid_from": [data.at(hour) for _ in networks for hour in (-24, 48)],
            "valid_to": [data.at(hour) if hour else None for _ in networks for hour in (48, 0)],
            "source_file": "radius.csv",
        }
    )
    con = warehouse(new_warehouse(), assignment_rows=rows)
    batch = CHECKS["gx_raw_assignments"].fetch(con, AnalysisWeek(data.WEEK), max_rows=6)
    holders_per_network = batch.frame["subscriber_id"].str[:-1].value_counts()
    assert len(holders_per_network) == 3
    assert holders_per_network.eq(2).all()
    assert not batch.frame["overlaps_earlier_interval"].any()
    assert "sample of networks" in batch.scope


def test_only_assignments_that_start_before_an_earlier_holder_let_go_are_flagged(
    new_warehouse,
) -> None:
    """bb1 hands 10.1.0.1 to bb2 back to back (no overlap); bb4 takes it inside bb1's hold;
    m1's row arrives twice (a duplicated RADIUS record): both copies are flagged."""
    extra = pd.DataFrame(
        {
            "subscriber_id": ["bb4"],
            "service": ["broadband"],
            "access": ["pppoe"],
            "customer_class": ["personal"],
            "address": ["10.1.0.1"],
            "valid_from": [data.at(10)],
            "valid_to": [data.at(20)],
            "source_file": ["radius.csv"],
        }
    )
    rows = pd.concat([data.assignments(), extra, data.assignments().iloc[[3]]], ignore_index=True)
    con = warehouse(new_warehouse(), assignment_rows=rows)
    batch = CHECKS["gx_raw_assignments"].fetch(con, AnalysisWeek(data.WEEK))
    flags = batch.frame.groupby("subscriber_id")["overlaps_earlier_interval"].agg(list).to_dict()
    assert flags == {
        "bb1": [False],
        "bb2": [False],
        "bb3": [False],
        "bb4": [True],
        "m1": [True, True],
    }
    assert batch.frame["overlaps_earlier_interval"].head(3).all()


def test_assignments_cut_to_networks_after_attribution_are_not_judged_overlapping(
    new_warehouse,
) -> None:
    """Once a week's addresses are cut to their networks, neighbours share a network: a check
    run again must not take them for one address held twice (it recorded a failed week)."""
    neighbours = pd.concat(
        [
            data.assignments(),
            changed(data.assignments(), 0, address="10.1.0.2", subscriber_id="bb4"),
        ]
    ).iloc[:5]
    con = warehouse(new_warehouse(), assignment_rows=neighbours)
    assert run(con, "gx_raw_assignments").success
    before = week_status.begin_build(con, data.WEEK, "build")
    week_status.finish_build(con, data.WEEK, "build", before, whole=True)
    cut_week(con, data.WEEK)
    outcome = run(con, "gx_raw_assignments")
    assert outcome.success, outcome.as_markdown()
    batch = CHECKS["gx_raw_assignments"].fetch(con, AnalysisWeek(data.WEEK))
    assert batch.frame["overlaps_earlier_interval"].isna().all()
    assert "addresses cut to networks" in batch.scope


def test_quarantine_above_one_percent_warns_with_the_most_frequent_reason(new_warehouse) -> None:
    con = warehouse(new_warehouse())
    loaded_flows = len(data.flows())
    rejected = [("bad port", 2), ("rate 0", 1)]
    for reason, count in rejected:
        for row in range(count):
            con.execute(
                "insert into raw.quarantine (week_start, source, source_file, source_row, reason) "
                "values (?, 'flows', 'nfcapd.202406031200', ?, ?)",
                [data.WEEK, row + 1, reason],
            )
    outcome = run(con, "gx_quarantine_share")
    assert failures(outcome) == {(BETWEEN, "quarantined_pct")}
    [flows] = outcome.failed[0].examples
    assert flows["source"] == "flows"
    assert flows["most_frequent_reason"] == "bad port"
    assert flows["quarantined_pct"] == pytest.approx(100 * 3 / (loaded_flows + 3))


@pytest.fixture
def numbered_week() -> duckdb.DuckDBPyConnection:
    """A week of 2,000 numbered rows (and a row of another week that must stay out)."""
    con = duckdb.connect()
    con.execute(
        "create table numbered as select ?::date as week_start, i from range(2000) t(i) "
        "union all select ?::date, -1",
        [data.WEEK, data.WEEK - timedelta(days=7)],
    )
    return con


def smallest_hashes(con: duckdb.DuckDBPyConnection, rows: int) -> list[int]:
    return [
        i
        for (i,) in con.execute(
            "select i from numbered where week_start = ? order by hash(i) limit ?",
            [data.WEEK, rows],
        ).fetchall()
    ]


def test_a_hash_sample_takes_one_pass_when_the_approximate_bound_lets_enough_through(
    numbered_week: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_second_pass(*args: object) -> int:
        raise AssertionError("the exact bound was computed")

    monkeypatch.setattr(raw_frames, "exact_hash_bound", no_second_pass)
    frame, scope = raw_frames.hash_sample(
        numbered_week, "numbered", "hash(i)", "i", AnalysisWeek(data.WEEK), 100, "by hash"
    )
    assert scope == "100 of 2000 rows of numbered for the week (by hash)"
    assert frame["i"].tolist() == smallest_hashes(numbered_week, 100)


def test_a_hash_sample_finds_the_exact_bound_when_too_few_rows_pass(
    numbered_week: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(raw_frames, "HASH_BOUND_MARGIN", 0.5)
    frame, _ = raw_frames.hash_sample(
        numbered_week, "numbered", "hash(i)", "i", AnalysisWeek(data.WEEK), 100, "by hash"
    )
    assert frame["i"].tolist() == smallest_hashes(numbered_week, 100)
    every_row, scope = raw_frames.hash_sample(
        numbered_week, "numbered", "hash(i)", "i", AnalysisWeek(data.WEEK), 5000, "by hash"
    )
    assert len(every_row) == 2000
    assert scope == "all 2000 rows of numbered for the week"
