"""A week's drift totals are computed from its raw files once, and again when they change."""

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.validation import week_changes
from dagster_project.validation.week_totals import totals_dir, week_totals
from dagster_project.warehouse.address_retention import cut_week
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests import validation_data as data

PREVIOUS = data.WEEK - timedelta(days=7)
USERS_SQL = """
    select service, count(distinct subscriber_id) as value
    from raw.usage_counters where week_start = $week group by service
"""


@pytest.fixture(autouse=True)
def own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRAFFICREPORT_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def two_weeks(new_warehouse) -> duckdb.DuckDBPyConnection:
    con = new_warehouse()
    data.load(con)
    data.load(con, PREVIOUS)
    return con


def previous_users(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    batch = week_changes.subscriber_count_change(con, AnalysisWeek(data.WEEK))
    return batch.frame.set_index("service")["previous_week"].to_dict()


def previous_totals(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, float]]:
    """The previous week's totals of the three drift checks."""
    changes = (
        week_changes.flow_traffic_change,
        week_changes.counter_traffic_change,
        week_changes.subscriber_count_change,
    )
    return {
        change.__name__: change(con, AnalysisWeek(data.WEEK))
        .frame.set_index("service")["previous_week"]
        .to_dict()
        for change in changes
    }


def recorded(week: str, quantity: str) -> Path:
    return totals_dir() / week / f"{quantity}.json"


def test_the_previous_weeks_totals_are_read_from_the_record(two_weeks) -> None:
    counted = previous_users(two_weeks)
    record = recorded(PREVIOUS.isoformat(), "users")
    assert record.is_file() and recorded(data.WEEK.isoformat(), "users").is_file()
    # Proof that the record is read, not the raw files: a recorded total that no file holds.
    content = json.loads(record.read_text())
    content["totals"] = [[service, "1000"] for service, _ in content["totals"]]
    record.write_text(json.dumps(content))
    assert previous_users(two_weeks) == dict.fromkeys(counted, 1000.0)


def test_a_week_loaded_again_is_counted_again(two_weeks) -> None:
    before = previous_users(two_weeks)
    more_users = pd.concat(
        [data.usage_counters(), data.usage_counters().assign(subscriber_id="m2")]
    )
    data.load(two_weeks, PREVIOUS, counter_rows=more_users)
    after = previous_users(two_weeks)
    assert after["mobile"] == before["mobile"] + 1
    assert after["broadband"] == before["broadband"] + 1


def test_the_address_cut_keeps_the_previous_weeks_record(two_weeks) -> None:
    # In every run the week's checks record its totals before its dbt step cuts its addresses
    # (rewriting its files); the next week must still find the record valid.
    before = previous_totals(two_weeks)
    records = sorted((totals_dir() / PREVIOUS.isoformat()).glob("*.json"))
    contents = [record.read_text() for record in records]
    assert len(records) == 3
    cut_week(two_weeks, PREVIOUS)
    assert previous_totals(two_weeks) == before
    assert [record.read_text() for record in records] == contents  # read, not computed again
    shutil.rmtree(totals_dir() / PREVIOUS.isoformat())
    assert previous_totals(two_weeks) == before  # the cut files give the same totals


def test_a_changed_query_is_not_answered_from_the_record(two_weeks) -> None:
    users = week_totals(two_weeks, data.WEEK, "counted", USERS_SQL)
    rows_sql = USERS_SQL.replace("distinct subscriber_id", "*")
    rows = week_totals(two_weeks, data.WEEK, "counted", rows_sql)
    expected = two_weeks.execute(
        "select service, count(*) from raw.usage_counters where week_start = ? group by service",
        [data.WEEK],
    ).fetchall()
    assert sorted(rows) == sorted(expected) != sorted(users)


def test_sums_beyond_64_bits_are_kept_exactly(two_weeks) -> None:
    huge_sql = "select 'broadband' as service, (1::hugeint << 70) + 1 as value where $week < now()"
    for _ in range(2):  # computed, then read from the record
        assert week_totals(two_weeks, data.WEEK, "huge", huge_sql) == [("broadband", 2**70 + 1)]


def test_a_database_without_a_lake_records_nothing() -> None:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.usage_counters as "
        "select ?::date as week_start, 'mobile' as service, 'm1' as subscriber_id",
        [data.WEEK],
    )
    assert week_totals(con, data.WEEK, "counted", USERS_SQL) == [("mobile", 1)]
    assert not totals_dir().exists()
