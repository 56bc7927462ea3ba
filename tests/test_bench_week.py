"""The week benchmark's own pieces: the agreement check, address numbers, time windows of the
process samples, and which Dagster step is which."""

import json
import sys

import pytest

from dagster_project.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

from bench_reference import Disagreement, disagreements, keyed, relative_difference
from bench_support import (
    DEFAULT_CONFIG_FLOWS,
    Measurement,
    TreeSampler,
    synthetic_config,
)
from bench_week_run import step_kind


def test_relative_difference_of_numbers_and_missing_values():
    assert relative_difference(5, 5) == 0.0
    assert relative_difference(0, 0.0) == 0.0
    assert relative_difference(100.0, 100.0 + 1e-8) == pytest.approx(1e-10)
    assert relative_difference(-2, 2) == 2.0
    assert relative_difference(None, None) == 0.0
    assert relative_difference(None, 0) == float("inf")


def test_disagreements_name_missing_rows_and_values_beyond_the_tolerance():
    reference = keyed([("bb", "IN", 10, 1.0), ("bb", "OUT", 20, 2.0)], 2, ("users", "mean"))
    marts = keyed(
        [("bb", "IN", 10, 1.0 + 1e-12), ("bb", "OUT", 21, 2.0), ("mo", "IN", 5, 0.5)],
        2,
        ("users", "mean"),
    )
    assert disagreements("usage_summary", reference, marts) == [
        Disagreement("usage_summary", ("bb", "OUT"), "users", 20, 21),
        Disagreement("usage_summary", ("mo", "IN"), "(row)", None, {"users": 5, "mean": 0.5}),
    ]
    assert disagreements("usage_summary", reference, reference) == []


def test_a_window_of_samples_includes_its_neighbours():
    sampler = TreeSampler(root=0)
    mib = 2**20
    sampler.samples = [(0.0, 100 * mib, 1.0), (0.1, 300 * mib, 1.5), (0.2, 200 * mib, 2.5),
                       (0.3, 50 * mib, 2.6)]  # fmt: skip
    assert sampler.peak_mib() == 300
    assert sampler.peak_mib(0.25, 0.26) == 200  # no sample inside: the ones around it
    assert sampler.cpu_seconds(0.15, 0.2) == pytest.approx(1.0)
    assert sampler.cpu_seconds() == pytest.approx(1.6)


def test_measurements_print_as_one_json_line():
    line = Measurement("reference query", 1.23456, 512.04, 2.5, ratio_to_reference=1.0)
    assert json.loads(line.json()) == {
        "step": "reference query", "seconds": 1.235, "peak_rss_mib": 512.04,
        "cpu_seconds": 2.5, "ratio_to_reference": 1.0,
    }  # fmt: skip


def test_steps_of_the_weekly_job_by_kind():
    assert step_kind("raw_week") == "raw load"
    assert step_kind("weekly_dbt_models") == "dbt build"
    assert step_kind("raw_flows_gx_raw_flows_profile") == "GX checks"
    assert step_kind("week_report_page") == "figures and page"


def test_the_synthetic_week_scales_with_the_flows_wanted():
    default = synthetic_config(DEFAULT_CONFIG_FLOWS)
    tenfold = synthetic_config(10 * DEFAULT_CONFIG_FLOWS)
    assert tenfold.pppoe_users == 10 * default.pppoe_users
    assert tenfold.mobile_flow_users == 10 * default.mobile_flow_users
    assert tenfold.seed == default.seed
