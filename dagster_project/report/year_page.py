"""The report page of the latest comparison week: the published report's sections, each with
its findings and the figures and tables it discusses (Figures 1-12, Tables 1-7).

Pure: the drawn figures, the tables as shown and the provenance go in, the page content comes
out. The items are numbered in the catalogue, as published.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from dagster_project.report import outline
from dagster_project.report import year_findings as findings
from dagster_project.report.catalogue import ReportItem
from dagster_project.report.outline import METHOD, Facts, PassageSpec, SectionSpec
from dagster_project.report.pages import Provenance, ReportContent
from dagster_project.report.tables import ReportTable
from dagster_project.report.wording import DATA_RULES

# Context keys of the weeks compared and the analysis time zone.
WEEK = "week"
FIRST_WEEK = "first_week"
TIME_ZONE = "time_zone"


def about_the_data(facts: Facts) -> Iterator[str]:
    yield (
        f"This report analyses the week of {facts.context[WEEK]} and compares it with one week "
        f"of each earlier year back to the week of {facts.context[FIRST_WEEK]}; a week runs "
        f"from Monday 00:00 to Sunday 24:00 ({facts.context[TIME_ZONE]})."
    )
    yield from DATA_RULES


YEAR_OUTLINE = (
    SectionSpec(
        "overview",
        "Overview",
        (
            PassageSpec(findings.year_on_year_growth, ("figure_01_monthly_traffic",)),
            PassageSpec(findings.weekday_hours, ("figure_02_weekday_hourly_recent",)),
        ),
    ),
    SectionSpec("data", "About the data", (PassageSpec(about_the_data, kind=METHOD),)),
    SectionSpec(
        "users",
        "Users' daily traffic",
        (
            PassageSpec(
                findings.distributions,
                ("figure_03_usage_density_broadband", "figure_04_usage_density_mobile"),
            ),
            PassageSpec(findings.usage, ("table_1_broadband_usage", "table_2_mobile_usage")),
            PassageSpec(
                findings.heavy_users,
                (
                    "figure_05_user_scatter_broadband",
                    "figure_06_user_scatter_mobile",
                    "table_top_user_shares",
                ),
            ),
        ),
    ),
    SectionSpec(
        "ports",
        "Usage by port",
        (
            PassageSpec(findings.ports, ("table_3_broadband_ports", "table_4_mobile_ports")),
            PassageSpec(
                findings.peak_hours,
                ("figure_07_port_week_broadband", "figure_08_port_week_mobile", "table_peak_hours"),
            ),
        ),
    ),
    SectionSpec(
        "five-years",
        "Looking back on the past five years",
        (
            PassageSpec(
                findings.five_year_hours,
                ("figure_09_weekday_hourly_five_years", "figure_10_weekday_uploads_five_years"),
            ),
            PassageSpec(findings.five_year_growth, ("table_traffic_growth",)),
            PassageSpec(findings.five_year_modes, ("figure_11_usage_density_five_years",)),
            PassageSpec(findings.ipv6, ("figure_12_ipv6_share",)),
        ),
    ),
    SectionSpec("conclusion", "Conclusion", (PassageSpec(findings.conclusion),)),
)


@dataclass(frozen=True)
class YearPage:
    """What the report page compares: its week, the first week and the last month of the
    monthly totals."""

    week: date
    first_week: date
    to_month: date
    time_zone: str


def year_content(
    page: YearPage,
    figures: tuple[tuple[ReportItem, bytes], ...],
    tables: tuple[tuple[ReportItem, ReportTable], ...],
    provenance: Provenance,
    calibration_html: str | None,
) -> ReportContent:
    """The report page from its drawn figures and its tables as shown."""
    entries = [entry for entry, _ in (*figures, *tables)]
    facts = Facts(
        tables={entry.name: table for entry, table in tables},
        labels=outline.labels(entries),
        context={
            WEEK: page.week.isoformat(),
            FIRST_WEEK: page.first_week.isoformat(),
            TIME_ZONE: page.time_zone,
            findings.TO_MONTH: f"{page.to_month:%b %Y}",
        },
    )
    names = {entry.name for entry in entries}
    return ReportContent(
        week=page.week.isoformat(),
        title=f"Broadband Traffic Report {page.week.year}",
        subtitle=(
            f"Broadband and mobile traffic in the week of {page.week.isoformat()}, compared "
            f"with the same season of every year since {page.first_week.year}"
        ),
        figures=figures,
        tables=tuple((entry, table.to_html()) for entry, table in tables),
        provenance=provenance,
        sections=outline.sections(
            YEAR_OUTLINE, facts, lambda name: (name,) if name in names else ()
        ),
        calibration_html=calibration_html,
    )
