"""Every GX suite passes on a clean week and fails, for the stated reason, on broken data."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import duckdb
import pandas as pd
import pytest

from dagster_project.assets.checks import SUITE_CHECKS, SuiteCheck
from dagster_project.validation import ValidationOutcome, load_suite_definition, validate_batch
from tests import validation_data as data

CHECKS = {spec.check_name: spec for spec in SUITE_CHECKS}


def attribution(unattributed_bytes: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "week_start": data.WEEK,
            "service": "broadband",
            "direction": ["IN", "OUT", "unattributed"],
            "bytes": [300, 700, unattributed_bytes],
        }
    )


def warehouse(**frames: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the clean week, any raw frame replaced by `frames`."""
    con = duckdb.connect(":memory:")
    data.load(con, **frames)
    data.load_mart(con, "port_usage", data.port_usage())
    data.load_mart(con, "int_flows_attributed", attribution())
    return con


def run(con: duckdb.DuckDBPyConnection, check_name: str) -> ValidationOutcome:
    spec: SuiteCheck = CHECKS[check_name]
    week = data.WEEK if spec.weekly else None
    return validate_batch(spec.fetch(con, week), spec.suite)


def failures(outcome: ValidationOutcome) -> set[tuple[str, str | None]]:
    return {(f.expectation, f.column) for f in outcome.failed}


@pytest.fixture(scope="module")
def clean() -> duckdb.DuckDBPyConnection:
    return warehouse()


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_clean_week_passes(clean: duckdb.DuckDBPyConnection, check_name: str) -> None:
    outcome = run(clean, check_name)
    assert outcome.success, outcome.as_markdown()
    assert outcome.evaluated == len(load_suite_definition(CHECKS[check_name].suite)["expectations"])


def test_every_expectation_says_what_it_catches() -> None:
    for spec in SUITE_CHECKS:
        for expectation in load_suite_definition(spec.suite)["expectations"]:
            assert expectation["meta"]["catches"].strip(), (spec.suite, expectation["type"])


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
    "hostname as address": (
        lambda: {"flow_rows": changed(data.flows(), 0, src_addr="cdn.example.net")},
        "gx_raw_flows",
        ("expect_column_values_to_match_regex", "src_addr"),
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
    "interface rx/tx instead of IN/OUT": (
        lambda: {"monthly_rows": changed(data.monthly_totals(), 0, direction="rx")},
        "gx_raw_monthly_totals",
        (IN_SET, "direction"),
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_data_fails_for_the_stated_reason(case: str) -> None:
    frames, check_name, expected = BROKEN[case]
    outcome = run(warehouse(**frames()), check_name)
    assert not outcome.success
    assert expected in failures(outcome), outcome.as_markdown()
    failed = next(f for f in outcome.failed if (f.expectation, f.column) == expected)
    assert failed.catches
    assert failed.examples


def test_shares_that_do_not_add_up_fail_port_usage() -> None:
    con = warehouse()
    broken = data.port_usage().drop(index=[4])  # ESP row lost: broadband shares sum to 90
    data.load_mart(con, "port_usage", broken)
    outcome = run(con, "gx_port_usage")
    assert failures(outcome) == {(BETWEEN, "service_share_total")}
    assert {"service": "broadband"}.items() <= outcome.failed[0].examples[0].items()


def test_unattributed_traffic_above_five_percent_warns() -> None:
    con = warehouse()
    data.load_mart(con, "int_flows_attributed", attribution(unattributed_bytes=100))
    outcome = run(con, "gx_unattributed_traffic")
    assert failures(outcome) == {(BETWEEN, "unattributed_pct")}


def test_traffic_halving_from_the_previous_week_warns() -> None:
    con = warehouse()
    heavy = data.flows().assign(bytes=lambda f: f["bytes"] * 3)
    data.load(con, data.WEEK - timedelta(days=7), flow_rows=heavy)
    outcome = run(con, "gx_flow_traffic_drift")
    assert failures(outcome) == {(BETWEEN, "change_pct")}
    assert outcome.failed[0].examples[0]["service"] == "broadband"


def test_steady_traffic_and_users_pass_the_drift_checks() -> None:
    con = warehouse()
    data.load(con, data.WEEK - timedelta(days=7))
    for check_name in ("gx_flow_traffic_drift", "gx_counter_traffic_drift", "gx_user_count_drift"):
        outcome = run(con, check_name)
        assert outcome.success, outcome.as_markdown()
        assert outcome.gx_result.results[0].result["element_count"] > 0


def test_user_count_change_above_twenty_percent_warns() -> None:
    con = warehouse()
    more_users = pd.concat(
        [data.usage_counters(), data.usage_counters().assign(subscriber_id="m2")]
    )
    data.load(con, data.WEEK - timedelta(days=7), counter_rows=more_users)
    outcome = run(con, "gx_user_count_drift")
    assert failures(outcome) == {(BETWEEN, "change_pct")}


def test_flow_sample_is_capped_and_deterministic() -> None:
    con = warehouse()
    spec = CHECKS["gx_raw_flows"]
    first, second = spec.fetch(con, data.WEEK, max_rows=3), spec.fetch(con, data.WEEK, max_rows=3)
    assert len(first.frame) == 3
    assert first.frame.equals(second.frame)
    assert first.scope == (
        "3 of 6 rows of raw.flows for the week (deterministic sample by row hash)"
    )


def test_capped_assignments_keep_overlapping_rows() -> None:
    overlapping = changed(data.assignments(), 1, valid_from=data.at(47))
    con = warehouse(assignment_rows=overlapping)
    batch = CHECKS["gx_raw_assignments"].fetch(con, data.WEEK, max_rows=1)
    assert batch.frame["overlaps_earlier_interval"].tolist() == [True]
