"""Tables laid out as published, every cell the mart value rounded for display."""

from datetime import date

import pandas as pd
import pytest

from dagster_project.reference.seeds import published_port_rows
from dagster_project.report import tables
from dagster_project.report.peak_hours import peak_hour_table
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS
from tests import report_frames as frames
from tests.html_tables import body_rows


def test_usage_table_has_the_published_columns_and_a_row_per_year():
    summary = frames.usage_summary_by_year(COMPARISON_WEEKS)
    broadband = summary[summary["service"] == "broadband"]
    table = tables.usage_table("table_1", "Table 1", broadband, decimals=0)
    assert table.columns == ("Year", "Mean", "Median", "Mode", "Mean", "Median", "Mode")
    assert [row[0] for row in table.rows] == [str(year) for year in range(2019, 2025)]
    first = broadband[broadband["report_year"] == 2019].set_index("direction")
    assert table.rows[0][1:] == tuple(
        f"{first.loc[direction, column]:.0f}"
        for direction in ("IN", "OUT")
        for column in ("mean_mb", "median_mb", "mode_mb")
    )


def test_port_table_shows_the_published_rows_in_order():
    usage = frames.port_usage_by_year(COMPARISON_WEEKS)
    mobile = usage[usage["service"] == "mobile"]
    table = tables.port_table("table_4", "Table 4", mobile, published_port_rows("mobile"))
    assert [row[0] for row in table.rows] == [label for _, label in published_port_rows("mobile")]
    assert table.columns == ("protocol port", *(f"{y} (%)" for y in range(2020, 2025)))
    # The second "443 (https)" is UDP 443 (row 13 of the mart), not TCP 443 again; 51820
    # comes before 8801 as published, although the mart has it the other way round.
    in_2024 = mobile[mobile["report_year"] == 2024].set_index("row_order")["share_pct"]
    assert table.rows[6][-1] == f"{in_2024[13]:.1f}"
    assert [row[-1] for row in table.rows[8:11]] == [f"{in_2024[o]:.1f}" for o in (16, 17, 15)]


def test_port_table_names_a_row_the_mart_lacks():
    usage = frames.port_usage_by_year(COMPARISON_WEEKS)
    broadband = usage[(usage["service"] == "broadband") & (usage["label"] != "8080")]
    with pytest.raises(ValueError, match="'TCP', '8080'"):
        tables.port_table("table_3", "Table 3", broadband, published_port_rows("broadband"))


def test_markdown_and_html_carry_the_same_cells():
    usage = frames.port_usage_by_year(COMPARISON_WEEKS)
    broadband = usage[usage["service"] == "broadband"]
    table = tables.port_table(
        "table_3", "Table 3", broadband, published_port_rows("broadband"), "Synthetic"
    )
    markdown = table.to_markdown()
    assert body_rows(table.to_html())["table_3"] == [list(row) for row in table.rows]
    for row in table.rows:
        assert "| " + " | ".join(row) + " |" in markdown
    assert markdown.rstrip().endswith("_Synthetic_")


def test_top_share_table_lists_both_ranks_and_directions():
    shares = pd.DataFrame(
        [
            {
                "report_year": 2024,
                "service": "broadband",
                "direction": d,
                "top_percent": t,
                "share_pct": v,
            }
            for (d, t, v) in (
                ("IN", 1, 46.04),
                ("IN", 10, 75.0),
                ("OUT", 1, 15.0),
                ("OUT", 10, 49.96),
            )
        ]
    )
    table = tables.top_share_table("top", "Top users", shares)
    assert table.rows == (("broadband 2024", "46.0", "15.0", "75.0", "50.0"),)
    assert table.column_groups[1] == ("top 1% of users (% of volume)", 2)


def test_growth_table_quotes_year_on_year_five_year_and_mode_growth():
    table = tables.growth_table(
        "growth",
        "Growth",
        frames.traffic_growth(),
        frames.mode_growth(),
        to_month=date(2024, 6, 1),
        years=(2019, 2024),
    )
    rows = {row[0]: row[1:] for row in table.rows}
    # broadband IN: +15% to June 2024, +14% a year earlier, 1.14^5 over five years.
    assert rows["broadband IN"] == (
        "15.0",
        "14.0",
        f"{1.14**5:.2f}",
        "1.14",
        f"{2.5**0.2:.2f}",
        "2.50",
    )
    assert table.columns[1:3] == ("to Jun 2024 (%)", "to Jun 2023 (%)")


def test_growth_table_shows_a_dash_for_a_month_the_mart_lacks():
    growth = frames.traffic_growth()
    growth = growth[pd.to_datetime(growth["to_month"]).dt.year != 2023]
    table = tables.growth_table(
        "growth", "Growth", growth, frames.mode_growth(), date(2024, 6, 1), (2019, 2024)
    )
    assert all(row[2] == "-" for row in table.rows)
    # the findings find no number there
    assert table.value("broadband IN", "year_earlier_pct") is None
    assert table.value("broadband IN", "year_on_year_pct") == "15.0"


def test_findings_look_a_cell_up_by_its_row_and_column_keys():
    usage = frames.port_usage_by_year(COMPARISON_WEEKS)
    mobile = usage[usage["service"] == "mobile"]
    table = tables.port_table("table_4", "Table 4", mobile, published_port_rows("mobile"))
    in_2024 = mobile[mobile["report_year"] == 2024].set_index("row_order")["share_pct"]
    # "443 (https)" is a TCP and a UDP row: the key names the protocol
    assert table.value("UDP 443 (https)", "2024") == f"{in_2024[13]:.1f}"
    assert table.value("TCP", "2024") == table.rows[0][-1]
    assert table.value("TCP", "2019") is None and table.value("QUIC", "2024") is None


def test_peak_hours_are_the_fullest_hour_of_weekdays_and_of_the_weekend():
    hourly = frames.hourly_port_traffic(weeks=(date(2024, 6, 3),)).assign(
        service="broadband", report_year=2024
    )
    weekend_afternoon = (hourly["hour_of_week"] >= 5 * 24) & (hourly["hour_of_week"] % 24 == 14)
    hourly.loc[weekend_afternoon, "traffic"] = 2.0
    table = peak_hour_table("peaks", "Peak hours", hourly)
    assert table.rows == (("broadband 2024", "21:00", "14:00"),)
    assert table.value("broadband 2024", "weekend") == "14:00"
    no_weekend = peak_hour_table("peaks", "Peak hours", hourly[hourly["hour_of_week"] < 120])
    assert no_weekend.value("broadband 2024", "weekend") is None


def test_missing_value_shows_as_a_dash():
    assert tables.format_number(float("nan"), 1) == "-"


def test_calibration_table_lists_failures_first_with_units():
    table = tables.calibration_table("calibration", frames.calibration_comparison())
    assert table.title == "Calibration: 2 of 3 published statistics within tolerance"
    assert table.rows[0] == (
        "Table 1 broadband OUT 2024 mode_bin",
        "75",
        "76",
        "1 bins",
        "0 bins",
        "FAIL",
    )
    assert table.rows[1][3:] == ("1.01%", "5.00%", "pass")
    # A statistic without a direction is labelled without a gap.
    assert table.rows[-1][0] == "Table 3 broadband 2024 tcp"
    assert table.rows[-1][3:] == ("-0.19 points", "0.50 points", "pass")
