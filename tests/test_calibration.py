"""The calibration comparison: published targets, tolerances, pass/fail."""

import math
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from dagster_project.defs.assets import calibration_asset
from dagster_project.defs.resources import SourcesResource, WarehouseResource
from dagster_project.reference import load_published
from dagster_project.report.calibration import (
    Expected,
    compare,
    expected_values,
    mode_bin,
    port_shares_by_row,
    summary_markdown,
)
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS
from tests.conftest import PROJECT_ROOT


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


def test_port_rows_are_keyed_by_their_section():
    rows = [
        (2024, "broadband", "TCP", 0, 67.5),
        (2024, "broadband", "(< 1024)", 1, 61.1),
        (2024, "broadband", "443 (https)", 2, 53.8),
        (2024, "broadband", "UDP", 0, 28.2),
        (2024, "broadband", "443 (https)", 1, 21.0),
        (2024, "mobile", "IP-ENCAP", 0, 0.1),
    ]
    shares = port_shares_by_row(rows)
    assert shares[("Table 3", "broadband", "all", 2024, "share_pct tcp/443")] == 53.8
    assert shares[("Table 3", "broadband", "all", 2024, "share_pct udp/443")] == 21.0
    assert shares[("Table 3", "broadband", "all", 2024, "share_pct tcp<1024")] == 61.1
    assert shares[("Table 4", "mobile", "all", 2024, "share_pct ip-encap")] == 0.1
    published = {e.key for e in expected_values(load_published())}
    assert set(shares) - {("Table 4", "mobile", "all", 2024, "share_pct ip-encap")} <= published


def published_marts(published: dict) -> dict[str, pd.DataFrame]:
    """Marts that hold exactly the published values, in the marts' documented columns."""
    usage = [
        {
            "report_year": year,
            "service": service,
            "direction": direction.upper(),
            "mean_mb": stats["mean"],
            "median_mb": stats["median"],
            "mode_bin": mode_bin(stats["mode"]),
        }
        for service, directions in published["daily_usage"].items()
        for direction, years in directions.items()
        for year, stats in years.items()
    ]
    tops = [
        {
            "week_start": COMPARISON_WEEKS[year],
            "service": service,
            "direction": direction.upper(),
            "top_percent": int(top[3:]),
            "share_pct": shares[top],
        }
        for service, directions in published["top_user_shares"].items()
        for direction, years in directions.items()
        for year, shares in years.items()
        for top in ("top1", "top10")
    ]
    ports = []
    for service, table in published["port_shares"].items():
        for order, (row, years) in enumerate(table.items()):
            if "/" in row:
                label, level = row.split("/")[1], 2
            elif row.startswith("tcp") and row != "tcp":
                label, level = "(< 1024)" if "<" in row else "(>= 1024)", 1
            else:
                label, level = row.upper(), 0
            ports += [
                {
                    "report_year": year,
                    "service": service,
                    "row_order": order,
                    "label": label,
                    "level": level,
                    "share_pct": share,
                }
                for year, share in years.items()
            ]
    growth = published["growth"]
    traffic_growth = [
        {
            "service": service,
            "direction": direction.upper(),
            "years": 1,
            "to_month": date(year, 6, 1),
            "growth_factor": 1 + percent / 100,
            "annual_factor": 1 + percent / 100,
        }
        for service, directions in growth["year_on_year_percent"].items()
        for direction, years in directions.items()
        for year, percent in years.items()
    ] + [
        {
            "service": "broadband",
            "direction": direction.upper(),
            "years": 5,
            "to_month": date(2024, 6, 1),
            "growth_factor": values["factor"],
            "annual_factor": values["annual"],
        }
        for direction, values in growth["five_year_factor"]["broadband"].items()
    ]
    monthly = [
        {
            "month": date(2024, 6, 1),
            "service": "mobile",
            "access": "all",
            "direction": "OUT",
            "normalized_traffic": growth["mobile_out_vs_january_2020"],
            "access_share_pct": 100.0,
        }
    ] + [
        {
            "month": date(year, 6, 1),
            "service": "broadband",
            "access": "ipoe",
            "direction": direction.upper(),
            "normalized_traffic": 0.5,
            "access_share_pct": percent,
        }
        for direction, years in growth["ipoe_share_percent"].items()
        for year, percent in years.items()
    ]
    modes = [
        {
            "service": service,
            "direction": direction.upper(),
            "from_year": 2019,
            "to_year": 2024,
            "growth_factor": factor,
        }
        for service, directions in growth["mode_factor"].items()
        for direction, factor in directions.items()
    ]
    frames = {
        "usage_summary_by_year": usage,
        "top_user_shares": tops,
        "port_usage_by_year": ports,
        "traffic_growth": traffic_growth,
        "monthly_traffic": monthly,
        "mode_growth": modes,
    }
    return {name: pd.DataFrame(rows) for name, rows in frames.items()}


def materialize_calibration(path: Path, marts: dict[str, pd.DataFrame], output: Path):
    with duckdb.connect(str(path)) as con:
        for name, frame in marts.items():
            con.register("frame", frame)
            con.execute(f"create or replace table main.{name} as select * from frame")
            con.unregister("frame")
    resources = {
        "warehouse": WarehouseResource(path=str(path)),
        "sources": SourcesResource(config_path=str(PROJECT_ROOT / "sources.yaml")),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAFFICREPORT_OUTPUT_DIR", str(output))
        result = dg.materialize([calibration_asset.calibration], resources=resources)
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    return pd.read_csv(output / "tables" / "calibration.csv"), metadata


def test_calibration_asset_passes_on_the_published_values(tmp_path):
    published = load_published()
    table, metadata = materialize_calibration(
        tmp_path / "warehouse.duckdb", published_marts(published), tmp_path / "out"
    )
    assert len(table) == len(expected_values(published))
    assert table["passed"].all(), table[~table["passed"]].to_string()
    assert metadata["failed"].value == 0
    assert metadata["source"].value == "synthetic"


def test_calibration_asset_reports_a_deviation(tmp_path):
    marts = published_marts(load_published())
    usage = marts["usage_summary_by_year"]
    usage.loc[(usage["report_year"] == 2021) & (usage["direction"] == "OUT"), "mean_mb"] *= 1.08
    table, metadata = materialize_calibration(
        tmp_path / "warehouse.duckdb", marts, tmp_path / "out"
    )
    failed = table[~table["passed"]]
    assert set(failed["year"]) == {2021} and set(failed["statistic"]) == {"mean_mb"}
    assert metadata["failed"].value == 2  # broadband and mobile
    assert "FAIL" in metadata["comparison"].value
