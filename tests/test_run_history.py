"""Per-week validation status of weekly marts, read back from the Dagster instance."""

from datetime import date

import dagster as dg
import pytest

from dagster_project.defs import check_history
from dagster_project.defs.partitions import weekly_partitions

GOOD_WEEK, BAD_WEEK, UNRUN_WEEK = date(2024, 5, 27), date(2024, 6, 3), date(2024, 6, 10)


@dg.asset(partitions_def=weekly_partitions)
def weekly_mart() -> None:
    """Stands for a weekly dbt model."""


@dg.asset_check(asset=weekly_mart)
def dbt_like_test(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Unpartitioned, like a dbt test on a partitioned dbt model: the run says which week."""
    return dg.AssetCheckResult(passed=context.run.tags["dagster/partition"] != str(BAD_WEEK))


@dg.asset_check(asset=weekly_mart, partitions_def=weekly_partitions)
def gx_like_suite(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=weekly_mart, partitions_def=weekly_partitions)
def drift_like_warning(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)


@pytest.fixture(scope="module")
def instance_and_graph():
    defs = dg.Definitions(
        assets=[weekly_mart],
        asset_checks=[dbt_like_test, gx_like_suite, drift_like_warning],
        jobs=[dg.define_asset_job("week", partitions_def=weekly_partitions)],
    )
    with dg.instance_for_test() as instance:
        for week in (GOOD_WEEK, BAD_WEEK):
            defs.resolve_job_def("week").execute_in_process(
                partition_key=str(week), instance=instance, raise_on_error=False
            )
        yield instance, defs.resolve_asset_graph()


def test_each_week_gets_its_own_check_results(instance_and_graph):
    instance, graph = instance_and_graph
    statuses = check_history.check_statuses(
        instance, graph, ["weekly_mart"], [GOOD_WEEK, BAD_WEEK, UNRUN_WEEK]
    )
    by_key = {(s.label, s.check): s.status for s in statuses}
    assert by_key == {
        ("weekly_mart [2024-05-27]", "dbt_like_test"): "passed",
        ("weekly_mart [2024-06-03]", "dbt_like_test"): "failed",
        ("weekly_mart [2024-06-10]", "dbt_like_test"): "not run",
        ("weekly_mart [2024-05-27]", "gx_like_suite"): "passed",
        ("weekly_mart [2024-06-03]", "gx_like_suite"): "passed",
        ("weekly_mart [2024-06-10]", "gx_like_suite"): "not run",
        ("weekly_mart [2024-05-27]", "drift_like_warning"): "warned",
        ("weekly_mart [2024-06-03]", "drift_like_warning"): "warned",
        ("weekly_mart [2024-06-10]", "drift_like_warning"): "not run",
    }


def test_drawing_is_refused_with_the_failing_week_named(instance_and_graph):
    instance, graph = instance_and_graph
    statuses = check_history.check_statuses(instance, graph, ["weekly_mart"], [BAD_WEEK])
    with pytest.raises(check_history.UnvalidatedInputError, match=r"2024-06-03\] dbt_like_test"):
        check_history.require_validated(statuses)
    check_history.require_validated(
        check_history.check_statuses(instance, graph, ["weekly_mart"], [GOOD_WEEK])
    )


def test_data_note_labels_synthetic_data():
    from dagster_project.report.pages import InputProvenance

    synthetic = InputProvenance("raw_flows", "2024-06-03", {"source": "synthetic", "seed": "7"})
    real = InputProvenance("raw_flows", "2023-05-29", {"source": "real"})
    assert check_history.data_note([synthetic]).startswith("SYNTHETIC DATA (built-in generator")
    assert "SYNTHETIC" in check_history.data_note([synthetic, real])
    assert check_history.data_note([real]) == "Source: real flow and usage records."
