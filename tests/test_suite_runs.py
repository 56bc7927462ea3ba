"""A step's suites run in order, the next frame fetched while this one is validated."""

import threading

import duckdb
import pytest

from dagster_project.validation import suite_catalogue, verdicts
from dagster_project.validation.suite_catalogue import SUITE_CHECKS, run_suites
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests import validation_data as data

INPUT_CHECKS = [spec for spec in SUITE_CHECKS if spec.step == "week_input_checks"]


@pytest.fixture
def clean(new_warehouse, tmp_path, monkeypatch) -> duckdb.DuckDBPyConnection:
    """The clean week; GX's project, Data Docs and verdicts under `tmp_path`."""
    monkeypatch.setenv("TRAFFICREPORT_DATA_DIR", str(tmp_path / "data"))
    con = new_warehouse()
    data.load(con)
    return con


def test_each_suite_runs_in_order_with_its_frame_fetched_in_the_worker(clean, monkeypatch):
    fetched_in: dict[str, str] = {}

    def fetched_where(spec, con, week):
        fetched_in[spec.check_name] = threading.current_thread().name
        return spec.fetch(con, week)

    monkeypatch.setattr(suite_catalogue, "_fetched", fetched_where)
    runs = list(run_suites(INPUT_CHECKS, clean, AnalysisWeek(data.WEEK)))

    assert [spec for spec, _ in runs] == INPUT_CHECKS
    assert all(run.outcome.success for spec, run in runs if spec.blocking)
    assert set(fetched_in) == {spec.check_name for spec in INPUT_CHECKS}
    assert all(name.startswith("prefetch") for name in fetched_in.values())


def test_a_suite_that_cannot_run_is_reported_in_its_place_and_the_others_run(clean):
    def broken_fetch(con, week):
        raise RuntimeError("the frame's query failed")

    broken = suite_catalogue.SuiteCheck("raw_flows", "raw_flows", broken_fetch)
    specs = [INPUT_CHECKS[0], broken, INPUT_CHECKS[1]]
    runs = list(run_suites(specs, clean, AnalysisWeek(data.WEEK)))

    assert [spec for spec, _ in runs] == specs
    assert isinstance(runs[1][1], RuntimeError) and "query failed" in str(runs[1][1])
    assert runs[0][1].outcome.success and runs[2][1].outcome.success


def test_data_docs_that_cannot_be_written_fail_every_validated_suite_and_record_no_verdict(
    clean, monkeypatch
):
    def full_disk(runs):
        raise OSError("No space left on device")

    monkeypatch.setattr(suite_catalogue, "write_data_docs", full_disk)
    week = AnalysisWeek(data.WEEK)
    runs = run_suites(INPUT_CHECKS[:2], clean, week)

    assert [spec for spec, _ in runs] == INPUT_CHECKS[:2]
    assert all(isinstance(run, OSError) for _, run in runs)
    assert verdicts.recorded_assets(week.key) == []
