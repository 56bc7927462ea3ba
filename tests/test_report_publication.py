"""The report page and the week page read as a publication: the published report's sections,
numbered figures and tables referred to by findings written from the tables, and a PDF
printed from the same HTML."""

import io
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from dagster_project.reference.seeds import published_port_rows
from dagster_project.report import pdf, tables, wording
from dagster_project.report.catalogue import FIGURES, PAGE_TABLES, TABLES, ReportItem
from dagster_project.report.pages import ReportContent, render_report
from dagster_project.report.peak_hours import peak_hour_table
from dagster_project.report.year_page import YearPage, year_content
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS
from tests import report_frames as frames
from tests.report_reading import (
    WEEK_HEADINGS,
    YEAR_HEADINGS,
    check_publication,
    findings,
    pdf_text,
    texts,
)
from tests.test_week_report import content as week_page_content
from tests.test_week_report import provenance, week_marts

PAGE = YearPage(date(2024, 6, 3), date(2019, 5, 27), date(2024, 6, 1), "Asia/Tokyo")
CATALOGUE = {entry.name: entry for entry in (*TABLES, *PAGE_TABLES)}


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (700, 420), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _of(frame, service: str):
    return frame[frame["service"] == service]


def year_tables(
    traffic_growth=None, usage_summary=None
) -> tuple[tuple[ReportItem, tables.ReportTable], ...]:
    """The report's tables, built by the table functions from the hand-built marts."""
    summary = (
        frames.usage_summary_by_year(COMPARISON_WEEKS) if usage_summary is None else usage_summary
    )
    ports = frames.port_usage_by_year(COMPARISON_WEEKS)
    marts = frames.hand_built_marts(COMPARISON_WEEKS, [])
    shares = frames.with_report_year(marts["top_user_shares"], COMPARISON_WEEKS)
    hourly = frames.with_report_year(marts["hourly_port_traffic"], COMPARISON_WEEKS)
    growth = frames.traffic_growth() if traffic_growth is None else traffic_growth
    titles = {name: entry.title for name, entry in CATALOGUE.items()}
    shown = {
        name: build(name, titles[name])
        for name, build in {
            "table_1_broadband_usage": lambda name, title: tables.usage_table(
                name, title, _of(summary, "broadband"), 0
            ),
            "table_2_mobile_usage": lambda name, title: tables.usage_table(
                name, title, _of(summary, "mobile"), 1
            ),
            "table_3_broadband_ports": lambda name, title: tables.port_table(
                name, title, _of(ports, "broadband"), published_port_rows("broadband")
            ),
            "table_4_mobile_ports": lambda name, title: tables.port_table(
                name, title, _of(ports, "mobile"), published_port_rows("mobile")
            ),
            "table_top_user_shares": lambda name, title: tables.top_share_table(
                name, title, shares
            ),
            "table_peak_hours": lambda name, title: peak_hour_table(
                name, title, hourly[hourly["report_year"] >= 2023]
            ),
            "table_traffic_growth": lambda name, title: tables.growth_table(
                name, title, growth, frames.mode_growth(), date(2024, 6, 1), (2019, 2024)
            ),
        }.items()
    }
    return tuple((CATALOGUE[name], table) for name, table in shown.items())


def year_page(**changes) -> ReportContent:
    return year_content(
        PAGE,
        figures=tuple((entry, blank_png()) for entry in FIGURES),
        tables=year_tables(**changes),
        provenance=provenance("synthetic"),
        calibration_html="<p>calibrated</p>",
    )


def printed(content: ReportContent, folder: Path) -> tuple[str, Path]:
    """The page as HTML in `folder` and its PDF next to it."""
    page = render_report(content)
    html = folder / f"{content.week}.html"
    html.write_text(page)
    return page, pdf.write_pdf(html, html.with_suffix(".pdf"), date.fromisoformat(content.week))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[str, Path]:
    return printed(year_page(), tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def week(tmp_path_factory) -> tuple[str, Path]:
    return printed(week_page_content(), tmp_path_factory.mktemp("week"))


def test_the_report_reads_as_the_published_report(report):
    check_publication(*report, YEAR_HEADINGS)
    labels = [f"Figure {n}" for n in range(1, 13)] + [f"Table {n}" for n in range(1, 8)]
    text = " ".join(findings(report[0]))
    assert all(re.search(rf"\b{label}\b", text) for label in labels)


def test_a_week_page_reads_as_the_published_report_where_one_week_allows(week):
    check_publication(*week, WEEK_HEADINGS)


def test_the_report_and_a_week_page_have_titles_of_their_own(report, week):
    assert texts(report[0], "h1") == ["Broadband Traffic Report 2024"]
    assert texts(week[0], "h1") == ["Week of 2024-06-03"]


def test_findings_quote_the_tables_cells(report):
    summary = frames.usage_summary_by_year(COMPARISON_WEEKS).set_index(
        ["service", "report_year", "direction"]
    )
    means = [f"{summary.loc[('broadband', year, 'OUT'), 'mean_mb']:.0f}" for year in (2023, 2024)]
    text = " ".join(findings(report[0]))
    assert (
        f"Broadband downloads (OUT): the mean daily usage rose from {means[0]} MB in 2023 to "
        f"{means[1]} MB in 2024" in text
    )
    assert "Over the year to Jun 2024, broadband monthly traffic grew 15.0% for uploads" in text


def test_a_sentence_without_its_numbers_is_left_out():
    growth = frames.traffic_growth()
    without_last_year = growth[growth["to_month"] != date(2023, 6, 1)]
    text = " ".join(findings(render_report(year_page(traffic_growth=without_last_year))))
    assert "in the year before" not in text
    assert "Over the five years to Jun 2024, broadband monthly traffic" in text


def test_a_mode_that_stayed_in_its_bin_is_given_no_factor():
    """'the mode stayed at 224 MB, a factor of 1.00' said it twice (regression)."""
    summary = frames.usage_summary_by_year(COMPARISON_WEEKS)
    downloads = (summary["service"] == "broadband") & (summary["direction"] == "OUT")
    for column in ("mode_bin", "mode_mb"):
        last_year = summary.loc[downloads & (summary["report_year"] == 2023), column].item()
        summary.loc[downloads & (summary["report_year"] == 2024), column] = last_year
    text = " ".join(findings(render_report(year_page(usage_summary=summary))))
    assert re.search(r"Broadband downloads \(OUT\):[^()]* the mode stayed at [0-9.,]+ MB \(", text)
    assert not re.search(
        r"Broadband downloads \(OUT\):[^()]* stayed at [0-9.,]+ MB, a factor", text
    )


def test_week_findings_name_only_the_services_with_data():
    page = render_report(week_page_content(services=("broadband",)))
    text = " ".join(findings(page))
    assert "broadband" in text.lower() and "mobile" not in text.lower()
    assert text.startswith("Figure 1 shows the mean traffic by hour of day")


def test_a_figure_not_drawn_is_not_introduced():
    marts = week_marts(("broadband",))
    marts["user_sample"] = marts["user_sample"].assign(daily_bytes_in=0.0)
    page = render_report(week_page_content(marts=marts))
    assert "sampled user" not in " ".join(findings(page))
    assert all(paragraph[0].isupper() for paragraph in findings(page))


def test_the_pdf_is_a4_dated_by_its_week_and_the_same_on_every_run(week, tmp_path):
    page, first = week
    again = tmp_path / "again.html"
    again.write_text(page)
    second = pdf.write_pdf(again, tmp_path / "again.pdf", date(2024, 6, 3))
    assert second.read_bytes() == first.read_bytes()
    assert pdf_text(second) == pdf_text(first)
    assert b"/CreationDate (D:20240603000000+00'00')" in first.read_bytes()
    assert "@page { size: A4;" in page and "break-inside: avoid" in page


def test_a_missing_browser_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    html = tmp_path / "page.html"
    html.write_text("<p>page</p>")
    with pytest.raises(pdf.PdfError, match="needs `chromium`"):
        pdf.write_pdf(html, tmp_path / "page.pdf", date(2024, 6, 3))


def test_a_repeated_verb_is_said_once():
    assert wording.changes((("grew", "14.0%"), "for IN"), (("grew", "12.0%"), "for OUT")) == (
        "grew 14.0% for IN and 12.0% for OUT"
    )
    assert wording.changes(
        (wording.growth("2.0"), "for IN"), (wording.growth("-1.5"), "for OUT")
    ) == ("grew 2.0% for IN and fell 1.5% for OUT")
    assert wording.said(wording.factor("1.00")) == "did not change"
    assert wording.movement("224", "224", " MB") == "stayed at 224 MB"
