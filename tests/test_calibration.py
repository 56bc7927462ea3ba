"""The calibration comparison: published targets, tolerances, pass/fail."""

import math

import pytest

from dagster_project.calibration import (
    Expected,
    compare,
    expected_values,
    mode_bin,
    summary_markdown,
)
from dagster_project.reference import load_published


def test_mode_bins_of_published_modes():
    assert mode_bin(224) == 47
    assert mode_bin(5620) == 75
    assert mode_bin(14.1) == 23
    assert mode_bin(1995) == 66


def test_every_published_statistic_is_expected_once():
    expected = expected_values(load_published())
    keys = [item.key for item in expected]
    assert len(keys) == len(set(keys))
    tables = [e for e in expected if e.item in ("Table 1", "Table 2")]
    assert len(tables) == 2 * 2 * 6 * 3  # services x directions x years x statistics
    ports = [e for e in expected if e.item == "Table 3"]
    assert {e.year for e in ports} == {2020, 2021, 2022, 2023, 2024}
    assert any(e.statistic == "five_year_factor" and e.published == 2.01 for e in expected)


def row(statistic: str, published: float, tolerance: float, unit: str) -> Expected:
    return Expected("Table 1", "broadband", "IN", 2024, statistic, published, tolerance, unit)


def test_compare_relative_points_and_bins():
    expected = [
        row("mean_mb", 834, 0.05, "relative"),
        row("median_mb", 178, 0.05, "relative"),
        row("mode_bin", 47, 0, "bins"),
        row("top1", 46, 3, "points"),
    ]
    computed = {
        expected[0].key: 834 * 1.049,  # inside 5 %
        expected[1].key: 178 * 0.94,  # outside 5 %
        expected[2].key: 48,  # one bin off
        expected[3].key: 43.0,  # exactly 3 points: inside
    }
    table = compare(expected, computed).set_index("statistic")
    assert table.loc["mean_mb", "passed"]
    assert table.loc["mean_mb", "deviation"] == pytest.approx(0.049)
    assert not table.loc["median_mb", "passed"]
    assert not table.loc["mode_bin", "passed"]
    assert table.loc["mode_bin", "deviation"] == 1
    assert table.loc["top1", "passed"]


def test_missing_values_fail():
    expected = [row("mean_mb", 834, 0.05, "relative"), row("median_mb", 178, 0.05, "relative")]
    table = compare(expected, {expected[1].key: math.nan})
    assert not table["passed"].any()
    assert table["computed"].isna().all()
    assert "missing" in summary_markdown(table)


def test_markdown_lists_failures_first():
    expected = [row("mean_mb", 834, 0.05, "relative"), row("median_mb", 178, 0.05, "relative")]
    table = compare(expected, {expected[0].key: 834.0, expected[1].key: 100.0})
    lines = summary_markdown(table).splitlines()
    assert "FAIL" in lines[2] and "pass" in lines[3]
