"""The page of one week: drawn from that week's mart rows, services without data named."""

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from markupsafe import escape

from dagster_project.report.outline import METHOD
from dagster_project.report.pages import InputProvenance, Provenance, render_report
from dagster_project.report.week_page import (
    PER_LINE_ACCOUNTING,
    WEEK_MARTS,
    services_with_data,
    week_content,
)
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS
from tests import report_frames as frames
from tests.html_tables import body_rows

WEEK = date(2024, 6, 3)


def week_marts(services: tuple[str, ...] = ("broadband", "mobile")) -> dict[str, pd.DataFrame]:
    """The hand-built marts' rows of one week and the given services."""
    marts = frames.hand_built_marts(COMPARISON_WEEKS, [WEEK])
    return {
        name: marts[name][
            (pd.to_datetime(marts[name]["week_start"]).dt.date == WEEK)
            & marts[name]["service"].isin(services)
        ]
        for name in WEEK_MARTS
    }


def provenance(source: str) -> Provenance:
    details = {"source": source, "sources": "bras (nfcapd flows), radius (csv assignments)"}
    inputs = (InputProvenance("raw_flows", str(WEEK), details),)
    return Provenance("Asia/Tokyo", {str(WEEK): "1:4"}, inputs, ())


def content(services=("broadband", "mobile"), source="real", marts=None):
    return week_content(str(WEEK), marts or week_marts(services), provenance(source), "note")


@pytest.fixture(scope="module")
def both_services():
    return content()


def test_every_item_is_drawn_once_per_service_with_data_and_numbered_in_page_order(
    both_services,
):
    page = both_services
    assert [entry.name for entry, _ in page.figures] == [
        f"{name}_{service}"
        for name in (
            "week_weekday_hourly",
            "week_usage_density",
            "week_user_scatter",
            "week_port_hours",
        )
        for service in ("broadband", "mobile")
    ]
    assert [entry.title for entry, _ in page.figures][:2] == [
        "Figure 1: Hourly average traffic on weekdays (broadband)",
        "Figure 2: Hourly average traffic on weekdays (mobile)",
    ]
    assert [entry.name for entry, _ in page.tables] == [
        "week_usage",
        "week_top_user_shares",
        "week_ports_broadband",
        "week_ports_mobile",
        "week_peak_hours",
        "week_ipv6_share",
    ]
    assert [entry.label for entry, _ in page.tables] == [f"Table {n}" for n in range(1, 7)]
    assert page.notes == ()
    assert all(png.startswith(b"\x89PNG") for _, png in page.figures)


def test_a_service_without_data_is_named_not_drawn():
    page = content(services=("broadband",))
    assert page.notes == ("No data for mobile in this week: its figures and tables are left out.",)
    names = [entry.name for entry, _ in (*page.figures, *page.tables)]
    assert not [name for name in names if "mobile" in name]
    shown = body_rows(render_report(page))
    assert [row[0] for row in shown["week_usage"]] == ["broadband"]
    assert "No data for mobile in this week" in render_report(page)


def test_tables_show_the_weeks_mart_values(both_services):
    marts = week_marts()
    shown = body_rows(render_report(both_services))

    summary = marts["usage_summary"].set_index(["service", "direction"])
    for row in shown["week_usage"]:
        for offset, direction in ((1, "IN"), (4, "OUT")):
            expected = summary.loc[(row[0], direction), ["mean_mb", "median_mb", "mode_mb"]]
            assert [float(cell) for cell in row[offset : offset + 3]] == [
                round(value, 2) for value in expected
            ]

    ports = marts["week_port_shares"]
    for service in ("broadband", "mobile"):
        rows = shown[f"week_ports_{service}"]
        of_service = ports[ports["service"] == service].sort_values("row_order")
        assert [row[0] for row in rows] == [*of_service["label"][:-1], "other (each < 0.5%)"]
        assert [float(row[1]) for row in rows] == [round(v, 1) for v in of_service["share_pct"]]
        # the rows sum to 100, up to the rounding of each shown share
        assert sum(float(row[1]) for row in rows) == pytest.approx(100, abs=0.05 * len(rows))

    top = marts["top_user_shares"].set_index(["service", "top_percent", "direction"])
    row = next(row for row in shown["week_top_user_shares"] if row[0] == f"mobile {WEEK}")
    assert float(row[2]) == round(top.loc[("mobile", 1, "OUT"), "share_pct"], 1)


def test_the_ipv6_table_shows_each_service_and_direction_of_the_week(both_services):
    shares = week_marts()["ipv6_share"].set_index(["service", "direction"])
    rows = body_rows(render_report(both_services))["week_ipv6_share"]
    assert [row[0] for row in rows] == ["broadband IN", "broadband OUT", "mobile IN", "mobile OUT"]
    for label, *cells in rows:
        expected = shares.loc[tuple(label.split())]
        assert cells == [
            f"{expected['ipv4_bytes'] / 1e9:.1f}",
            f"{expected['ipv6_bytes'] / 1e9:.1f}",
            f"{expected['ipv6_share_pct']:.1f}",
        ]


def method_text(page) -> str:
    """The method paragraphs of the page's 'About the data' section."""
    (about,) = [section for section in page.sections if section.anchor == "data"]
    return " ".join(passage.text for passage in about.passages if passage.kind == METHOD)


def test_the_method_note_gives_each_services_bytes_between_subscribers(both_services):
    line = (
        "{}: {}% of the week's flow bytes went between two subscribers "
        "(counted once for each line)."
    )
    method = method_text(both_services)
    assert method.endswith(
        " ".join(
            [PER_LINE_ACCOUNTING, line.format("broadband", "10.0"), line.format("mobile", "12.5")]
        )
    )
    page = render_report(both_services)
    assert escape(PER_LINE_ACCOUNTING) in page and escape(line.format("mobile", "12.5")) in page
    assert method_text(content(services=("broadband",))).endswith(
        f"{PER_LINE_ACCOUNTING} {line.format('broadband', '10.0')}"
    )


def test_a_sample_with_nobody_on_both_axes_gets_a_note_instead_of_a_scatter():
    marts = week_marts(("broadband",))
    marts["user_sample"] = marts["user_sample"].assign(daily_bytes_in=0.0)
    page = content(marts=marts)
    assert "week_user_scatter_broadband" not in [entry.name for entry, _ in page.figures]
    assert any("no sampled user has traffic in both directions" in n for n in page.notes)


def test_a_real_week_names_its_sources_and_a_synthetic_week_says_so(both_services):
    real = render_report(both_services)
    assert "<strong>real</strong>" in real and "bras (nfcapd flows)" in real
    assert "<strong>synthetic</strong>" not in real and "Calibration" not in real
    synthetic = render_report(replace(both_services, provenance=provenance("synthetic")))
    assert "<strong>synthetic</strong>" in synthetic and "<strong>real</strong>" not in synthetic


def test_the_same_rows_give_the_same_page(both_services):
    assert render_report(content()) == render_report(both_services)


@pytest.mark.parametrize("services", [(), ("mobile",)])
def test_services_with_data_follow_the_published_order(services):
    assert services_with_data(week_marts(services)) == services
