"""Per-week validation verdicts of the inputs, as figures, tables and pages read them."""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import settings
from dagster_project.defs import check_history
from dagster_project.defs.assets.dbt_assets import with_verdicts
from dagster_project.report.pages import InputProvenance
from dagster_project.validation import verdicts
from dagster_project.warehouse import week_status

GOOD_WEEK, BAD_WEEK, UNRUN_WEEK = date(2024, 5, 27), date(2024, 6, 3), date(2024, 6, 10)


MART = "usage_summary"  # a weekly mart of the code location
DBT_TEST = min(
    check
    for asset, check in check_history.defined_checks()
    if asset == MART and not check.startswith("gx_")
)
GX_SUITE = "gx_usage_summary"
BUILT_WHOLE = check_history.WEEK_COMPLETENESS[1]


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir whose warehouse holds GOOD_WEEK and BAD_WEEK built whole; UNRUN_WEEK was
    never loaded."""
    monkeypatch.setenv("TRAFFICREPORT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRAFFICREPORT_DUCKDB", str(tmp_path / "warehouse.duckdb"))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        for week in (GOOD_WEEK, BAD_WEEK):
            week_status.mark_loaded(con, week, "load-run")
            before = week_status.begin_build(con, week, "build-run")
            week_status.finish_build(con, week, "build-run", before, whole=True)
    return tmp_path


def load_again(week: date) -> None:
    """What a new load of the week does to its status (its verdicts are cleared apart)."""
    with duckdb.connect(str(settings.warehouse_path())) as con:
        week_status.mark_loaded(con, week, "new-load-run")


def defined_on_mart() -> list[str]:
    return sorted(check for asset, check in check_history.defined_checks() if asset == MART)


def record_weeks() -> None:
    """Every check of the mart passed in the good week, and a drift check warned; the bad
    week failed one dbt test."""
    for week in (GOOD_WEEK, BAD_WEEK):
        for check in defined_on_mart():
            failed = week == BAD_WEEK and check == DBT_TEST
            status = verdicts.FAILED if failed else verdicts.PASSED
            verdicts.record(verdicts.Verdict(MART, check, status, week.isoformat()))
        verdicts.record(verdicts.Verdict(MART, "drift", verdicts.WARNED, week.isoformat()))


def test_the_code_location_checks_the_mart_with_dbt_and_gx():
    assert GX_SUITE in defined_on_mart() and DBT_TEST != GX_SUITE


def test_each_week_gets_its_own_verdicts():
    record_weeks()
    statuses = check_history.check_statuses([MART], [GOOD_WEEK, BAD_WEEK, UNRUN_WEEK])
    by_week: dict[str | None, dict[str, str]] = {}
    for status in statuses:
        by_week.setdefault(status.week, {})[status.check] = status.status
    checks = [*defined_on_mart(), BUILT_WHOLE]
    assert by_week["2024-05-27"] == {**dict.fromkeys(checks, "passed"), "drift": "warned"}
    assert by_week["2024-06-03"] == {
        **dict.fromkeys(checks, "passed"),
        DBT_TEST: "failed",
        "drift": "warned",
    }
    # A week nobody loaded or validated: every defined check reads "not run".
    assert by_week["2024-06-10"] == dict.fromkeys(checks, "not run")


def test_a_week_loaded_again_is_not_drawn_until_its_build_completes():
    """A run killed between a week's load and the end of its dbt build leaves the week
    marked incomplete: drawing from it is refused even though its old verdicts passed."""
    record_weeks()
    load_again(GOOD_WEEK)
    statuses = check_history.check_statuses([MART], [GOOD_WEEK])
    with pytest.raises(verdicts.UnvalidatedInputError, match=r"2024-05-27\] built_whole: not"):
        verdicts.require_drawable(statuses)
    with duckdb.connect(str(settings.warehouse_path())) as con:
        before = week_status.begin_build(con, GOOD_WEEK, "next-run")
        # a build of some of the week's models only does not complete a new load
        week_status.finish_build(con, GOOD_WEEK, "next-run", before, whole=False)
        assert not week_status.status_of(con, [GOOD_WEEK])[GOOD_WEEK].complete
        before = week_status.begin_build(con, GOOD_WEEK, "next-run")
        week_status.finish_build(con, GOOD_WEEK, "next-run", before, whole=True)
    verdicts.require_drawable(check_history.check_statuses([MART], [GOOD_WEEK]))


def test_drawing_is_refused_with_the_failing_week_named():
    record_weeks()
    statuses = check_history.check_statuses([MART], [BAD_WEEK])
    with pytest.raises(verdicts.UnvalidatedInputError, match=rf"2024-06-03\] {DBT_TEST}"):
        verdicts.require_drawable(statuses)
    verdicts.require_drawable(check_history.check_statuses([MART], [GOOD_WEEK]))


def test_reloading_a_week_forgets_its_verdicts():
    record_weeks()
    verdicts.clear_week(GOOD_WEEK.isoformat())
    load_again(GOOD_WEEK)
    statuses = check_history.check_statuses([MART], [GOOD_WEEK])
    assert {s.status for s in statuses} == {"not run"}
    assert verdicts.latest(MART, DBT_TEST, BAD_WEEK.isoformat()).status == "failed"


def test_dbt_test_results_are_recorded_as_they_stream():
    events = [
        dg.AssetCheckResult(asset_key="weekly_mart", check_name="dbt_like_test", passed=False),
        dg.AssetCheckResult(
            asset_key="weekly_mart",
            check_name="warn_only",
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
        ),
        dg.Output(None),
    ]
    assert list(with_verdicts(iter(events), "2024-06-03", "run-1")) == events
    assert verdicts.latest("weekly_mart", "dbt_like_test", "2024-06-03").status == "failed"
    assert verdicts.latest("weekly_mart", "warn_only", "2024-06-03").status == "warned"


def test_data_note_labels_synthetic_data():
    synthetic = InputProvenance("raw_flows", "2024-06-03", {"source": "synthetic", "seed": "7"})
    real = InputProvenance("raw_flows", "2023-05-29", {"source": "real"})
    assert check_history.data_note([synthetic]).startswith("SYNTHETIC DATA (built-in generator")
    assert "SYNTHETIC" in check_history.data_note([synthetic, real])
    assert check_history.data_note([real]) == "Source: real flow and usage records."


def test_a_week_page_lists_every_check_of_the_week():
    """Warnings on the quarantine and the attribution are the week's too (they were left out)."""
    week = GOOD_WEEK.isoformat()
    verdicts.record(verdicts.Verdict("raw_quarantine", "gx_quarantine_share", "warned", week))
    statuses = {(s.asset, s.check): s.status for s in check_history.week_statuses(GOOD_WEEK)}
    assert statuses[("raw_quarantine", "gx_quarantine_share")] == "warned"
    assert statuses[("int_attributed_flow_totals", "gx_unattributed_traffic")] == "not run"
    assert statuses[("raw_flows", "gx_raw_flows")] == "not run"
    assert all(asset != "usage_summary_by_year" for asset, _ in statuses)


def test_the_tests_of_the_seeds_count_per_week():
    """The seeds are built (and tested) by every weekly run, so their verdicts are per week."""
    assert check_history.is_weekly("port_table_rows")
    statuses = check_history.week_statuses(GOOD_WEEK)
    assert any(status.asset == "port_table_rows" for status in statuses)
    assert {status.week for status in statuses} == {GOOD_WEEK.isoformat()}
