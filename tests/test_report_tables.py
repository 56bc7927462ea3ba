"""Tables laid out as published, every cell the mart value rounded for display."""

import pandas as pd
import pytest

from dagster_project import tables
from tests import report_frames as frames
from tests.html_tables import body_rows


def test_usage_table_has_the_published_columns_and_a_row_per_year():
    summary = frames.usage_summary_by_year()
    broadband = summary[summary["service"] == "broadband"]
    table = tables.usage_table("table_1", "Table 1", broadband, decimals=0)
    assert table.columns == ("Year", "Mean", "Median", "Mode", "Mean", "Median", "Mode")
    assert [row[0] for row in table.rows] == [str(year) for year in range(2019, 2025)]
    first = broadband[broadband["year"] == 2019].set_index("direction")
    assert table.rows[0][1:] == (
        f"{first.loc['IN', 'mean_mb']:.0f}",
        f"{first.loc['IN', 'median_mb']:.0f}",
        f"{first.loc['IN', 'mode_mb']:.0f}",
        f"{first.loc['OUT', 'mean_mb']:.0f}",
        f"{first.loc['OUT', 'median_mb']:.0f}",
        f"{first.loc['OUT', 'mode_mb']:.0f}",
    )


def test_port_rows_add_up_the_ports_they_cover():
    usage = frames.port_usage_by_year()
    shares = tables.port_shares(usage, tables.BROADBAND_PORT_ROWS)
    year = usage[usage["year"] == 2024]
    tcp = year[year["protocol_name"] == "TCP"]
    assert shares.loc["TCP", 2024] == pytest.approx(tcp["share_pct"].sum())
    assert shares.loc["(< 1024)", 2024] == pytest.approx(
        tcp.loc[tcp["flow_port"] < 1024, "share_pct"].sum()
    )
    assert shares.loc["(>= 1024)", 2024] == pytest.approx(
        tcp.loc[tcp["flow_port"] >= 1024, "share_pct"].sum()
    )
    # A published port the week did not see is a real zero, not a missing row.
    assert shares.loc["8080", 2024] == 0
    assert list(shares.columns) == [2020, 2021, 2022, 2023, 2024]


def test_udp_443_is_not_counted_as_tcp_443():
    usage = frames.port_usage_by_year()
    shares = tables.port_shares(usage, tables.BROADBAND_PORT_ROWS)
    udp_443 = usage[(usage["protocol_name"] == "UDP") & (usage["flow_port"] == 443)]
    assert shares.iloc[12][2024] == pytest.approx(
        udp_443.loc[udp_443["year"] == 2024, "share_pct"].item()
    )


def test_markdown_and_html_carry_the_same_cells():
    table = tables.port_table(
        "table_3", "Table 3", frames.port_usage_by_year(), tables.BROADBAND_PORT_ROWS, "Synthetic"
    )
    markdown = table.to_markdown()
    assert body_rows(table.to_html())["table_3"] == [list(row) for row in table.rows]
    for row in table.rows:
        assert "| " + " | ".join(row) + " |" in markdown
    assert markdown.rstrip().endswith("_Synthetic_")


def test_top_share_table_lists_both_ranks_and_directions():
    shares = pd.DataFrame(
        [
            {"year": 2024, "service": "broadband", "direction": d, "top_percent": t, "share_pct": v}
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


def test_missing_value_shows_as_a_dash():
    assert tables.format_number(float("nan"), 1) == "-"
