"""The report page: self-contained, deterministic, and honest about validation and sources."""

from dataclasses import replace

import pytest

from dagster_project.report.catalogue import FIGURES, TABLES
from dagster_project.report.outline import Passage, Section
from dagster_project.report.pages import (
    InputProvenance,
    Provenance,
    ReportContent,
    contents,
    provenance_facts,
    render_report,
    report_summary,
)
from dagster_project.validation.verdicts import Verdict
from tests.html_tables import body_rows

CHECKS = (
    Verdict("usage_distribution", "not_null_density", "passed", "2024-06-03"),
    Verdict("usage_distribution", "gx_drift", "warned", "2024-06-03"),
    Verdict("usage_distribution", "not_null_density", "failed", "2023-05-29"),
    Verdict("usage_distribution", "gx_drift", "not run", "2023-05-29"),
    Verdict("monthly_traffic", "not_null_month", "passed"),
)


def content(source: str = "synthetic") -> ReportContent:
    inputs = tuple(
        InputProvenance("raw_flows", week, {"source": source, "seed": "1"})
        for week in ("2023-05-29", "2024-06-03")
    )
    return ReportContent(
        week="2024-06-03",
        title="Broadband Traffic Report 2024",
        subtitle="The week of 2024-06-03",
        figures=((FIGURES[0], b"\x89PNG fake"),),
        tables=(
            (TABLES[0], '<table id="t"><tbody><tr><th>2024</th><td>1</td></tr></tbody></table>'),
        ),
        provenance=Provenance("Asia/Tokyo", {"2024-06-03": "1:100"}, inputs, CHECKS),
        sections=(
            Section(
                "overview",
                "Overview",
                (Passage("Figure 1 and Table 1 show it.", (FIGURES[0].name, TABLES[0].name)),),
            ),
        ),
        calibration_html="<p>calibrated</p>",
    )


def test_page_counts_each_outcome_per_mart_and_lists_what_did_not_pass():
    page = render_report(content())
    counts = body_rows(page)
    validation = next(rows for rows in counts.values() if rows and rows[0][0] == "monthly_traffic")
    # mart, weeks, checks per week, passed, warned, failed, not run
    assert validation == [
        ["monthly_traffic", "1", "1", "1", "0", "0", "0"],
        ["usage_distribution", "2", "2", "1", "1", "1", "1"],
    ]
    assert "3 of 5 validations did not pass." in page
    assert "usage_distribution [2023-05-29] not_null_density" in page


def test_a_doubt_is_the_first_thing_on_the_page():
    page = render_report(content())
    headline = "3 of 5 validations of the inputs did not pass (1 failed, 1 not run, 1 warned)"
    assert headline in page
    assert page.index(headline) < page.index('<nav id="contents">')
    all_passed = replace(content(), provenance=replace(content().provenance, checks=CHECKS[:1]))
    assert "did not pass" not in render_report(all_passed)


def test_page_is_self_contained_and_deterministic():
    page = render_report(content())
    assert page == render_report(content())
    assert 'src="data:image/png;base64,' in page
    assert "http://" not in page and "https://" not in page
    assert page.count("<figure") == 1


def test_synthetic_data_is_announced_and_real_data_is_not():
    assert "<strong>synthetic</strong>" in render_report(content("synthetic"))
    real = render_report(content("real"))
    assert "<strong>synthetic</strong>" not in real
    assert "2023-05-29, 2024-06-03" in real  # identical loads share one provenance row


def test_provenance_facts_say_what_the_data_is_and_how_it_was_checked():
    inputs = (
        InputProvenance("raw_flows", "2019-09-23", {"source": "real", "sources": "bras (nfcapd)"}),
    )
    real = Provenance("UTC", {"2019-09-23": "1:4"}, inputs, CHECKS)
    assert provenance_facts(real) == {
        "data": "real",
        "sources": "bras (nfcapd)",
        "sampling": "2019-09-23: 1:4",
        "time_zone": "UTC",
        "validation": "2 of 5 passed",
    }
    assert provenance_facts(content().provenance)["data"] == "synthetic"
    page = ReportContent(
        "2019-09-23",
        "Week of 2019-09-23",
        "",
        (),
        (),
        real,
        notes=("No data for mobile in this week.",),
    )
    summary = report_summary(page)
    assert "Data: real. Sources: bras (nfcapd)" in summary
    assert "No data for mobile in this week." in summary


def test_raw_inputs_of_one_load_share_one_provenance_row():
    details = {"source": "real", "sources": "bras (nfcapd flows), radius (csv assignments)"}
    inputs = (
        *(
            InputProvenance(asset, "2019-09-23", details)
            for asset in ("raw_flows", "raw_assignments")
        ),
        InputProvenance("raw_flows", "2019-09-30", {**details, "files": "2"}),
    )
    page = render_report(
        ReportContent(
            week="2019-09-23",
            title="Week of 2019-09-23",
            subtitle="",
            figures=(),
            tables=(),
            provenance=Provenance("UTC", {"2019-09-23": "1:4"}, inputs, CHECKS),
            calibration_html=None,
        )
    )
    rows = next(rows for rows in body_rows(page).values() if rows and "raw_" in rows[0][0])
    assert [row[:2] for row in rows] == [
        ["raw_flows, raw_assignments", "2019-09-23"],
        ["raw_flows", "2019-09-30"],
    ]
    assert page.count("bras (nfcapd flows), radius (csv assignments)") == 3  # banner, 2 rows


def test_rejected_records_are_counted_per_week_input_and_reason():
    rejected = (
        ("2019-09-23", "flows", "bad port", 2),
        ("2019-09-23", "flows", "missing or unparseable timestamp", 1),
    )
    provenance = Provenance("UTC", {}, (), CHECKS, rejected)
    page = render_report(replace(content(), provenance=provenance))
    assert body_rows(page)["rejected_records"] == [
        ["2019-09-23", "flows", "bad port", "2"],
        ["2019-09-23", "flows", "missing or unparseable timestamp", "1"],
    ]
    assert "3 input records were rejected while loading" in page
    assert "The loads rejected no record." in render_report(content())


def test_sections_are_numbered_and_listed_with_the_appendices():
    page = render_report(content())
    assert contents(content()) == [
        ("overview", "1 Overview"),
        ("calibration", "Appendix A: Calibration of the synthetic data"),
        ("provenance", "Appendix B: Provenance"),
    ]
    assert '<li><a href="#provenance">Appendix B: Provenance</a></li>' in page
    assert "<h2>1 Overview</h2>" in page and "<h2>Appendix B: Provenance</h2>" in page
    # the figure's title is in its image and alt text; the caption gives its number
    assert "<figcaption><strong>Figure 1.</strong> Monthly average traffic" in page
    real = replace(content(), calibration_html=None)
    assert contents(real)[-1] == ("provenance", "Appendix A: Provenance")


def test_an_item_not_placed_in_a_section_is_refused():
    unplaced = replace(content(), sections=())
    with pytest.raises(ValueError, match="placed once"):
        render_report(unplaced)
