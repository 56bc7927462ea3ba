"""Every figure and table of the report: its asset name, title, caption and source marts.

The figure/table assets, the report and docs/figures.md all read this list, so an item's
caption and lineage are written once. The report's items are numbered in their titles; the
items of a week's page are numbered by the page, in the order it shows them.
"""

import re
from dataclasses import dataclass

NUMBERED = re.compile(r"(Figure|Table) \d+")


@dataclass(frozen=True)
class ReportItem:
    name: str  # asset name and output file stem
    kind: str  # "figure" or "table"
    title: str
    caption: str
    marts: tuple[str, ...]

    @property
    def output_path(self) -> str:
        """Where the item is written, relative to the output folder."""
        if self.kind == "figure":
            return f"figures/{self.name}.png"
        return f"tables/{self.name}.md, tables/{self.name}.html"

    @property
    def label(self) -> str | None:
        """'Figure 3' or 'Table 5', as the text refers to it; None before a page numbers it."""
        numbered = NUMBERED.match(self.title)
        return numbered.group(0) if numbered else None


FIGURES = (
    ReportItem(
        "figure_01_monthly_traffic",
        "figure",
        "Figure 1: Monthly broadband and mobile traffic",
        "Monthly average traffic per service and direction, normalised so that OUT in January "
        "2020 is 1 for each service; broadband is shown in total and split into PPPoE and IPoE.",
        ("monthly_traffic",),
    ),
    ReportItem(
        "figure_02_weekday_hourly_recent",
        "figure",
        "Figure 2: Hourly average broadband traffic on weekdays in the past year",
        "Mean traffic by hour of day over Monday-Friday for four school weeks about four months "
        "apart; downloads (OUT) solid, uploads (IN) dotted. Hourly detail comes from the PPPoE "
        "flow records; IPoE usage counters are daily and carry no hour of day.",
        ("weekday_hourly_traffic",),
    ),
    ReportItem(
        "figure_03_usage_density_broadband",
        "figure",
        "Figure 3: Daily broadband user traffic volume distribution, this year and last year",
        "Probability density of personal broadband users' daily usage on a log axis from "
        "10^4 to 10^11 bytes, IN (upload, dashed) and OUT (download, solid).",
        ("usage_distribution",),
    ),
    ReportItem(
        "figure_04_usage_density_mobile",
        "figure",
        "Figure 4: Daily mobile user traffic volume distribution, this year and last year",
        "Probability density of personal mobile users' daily usage on a log axis from "
        "10^4 to 10^11 bytes, IN (upload, dashed) and OUT (download, solid).",
        ("usage_distribution",),
    ),
    ReportItem(
        "figure_05_user_scatter_broadband",
        "figure",
        "Figure 5: IN/OUT usage for each broadband user",
        "Daily upload (IN) against download (OUT) of a reproducible random sample of personal "
        "broadband users, log-log; the diagonal marks IN = OUT.",
        ("user_sample",),
    ),
    ReportItem(
        "figure_06_user_scatter_mobile",
        "figure",
        "Figure 6: IN/OUT usage for each mobile user",
        "Daily upload (IN) against download (OUT) of a reproducible random sample of personal "
        "mobile users, log-log; the diagonal marks IN = OUT.",
        ("user_sample",),
    ),
    ReportItem(
        "figure_07_port_week_broadband",
        "figure",
        "Figure 7: Broadband users' port usage over a week, last year (top) and this year (bottom)",
        "Hourly traffic of the analysis week for TCP 443, TCP 80, TCP dynamic ports (>= 1024), "
        "UDP 443 and the total, normalised so that the peak of the total is 1 (PPPoE flows).",
        ("hourly_port_traffic",),
    ),
    ReportItem(
        "figure_08_port_week_mobile",
        "figure",
        "Figure 8: Mobile users' port usage over a week, last year (top) and this year (bottom)",
        "Hourly traffic of the analysis week for TCP 443, TCP 80, UDP 443 and the total, "
        "normalised so that the peak of the total is 1.",
        ("hourly_port_traffic",),
    ),
    ReportItem(
        "figure_09_weekday_hourly_five_years",
        "figure",
        "Figure 9: Hourly average broadband traffic on weekdays in the past five years",
        "Mean traffic by hour of day over Monday-Friday for a week before the pandemic "
        "(February 2020) and each year's comparison week since; OUT solid, IN dotted; "
        "PPPoE flow records.",
        ("weekday_hourly_traffic",),
    ),
    ReportItem(
        "figure_10_weekday_uploads_five_years",
        "figure",
        "Figure 10: Hourly average broadband uploads on weekdays in the past five years",
        "The upload (IN) curves of Figure 9 on their own scale.",
        ("weekday_hourly_traffic",),
    ),
    ReportItem(
        "figure_11_usage_density_five_years",
        "figure",
        "Figure 11: Daily broadband user traffic volume distributions in the past five years",
        "Probability density of personal broadband users' daily usage for each year's "
        "comparison week, IN dashed and OUT solid.",
        ("usage_distribution",),
    ),
    ReportItem(
        "figure_12_ipv6_share",
        "figure",
        "Figure 12 (not in the published report): IPv6 share of traffic",
        "Share (%) of each service's flow bytes carried over IPv6, per direction (OUT solid, IN "
        "dotted), for every week in the warehouse: PPPoE and mobile subscribers' flows, "
        "enterprise included, as in the port statistics. IIJ's report does not publish it.",
        ("ipv6_share_by_week",),
    ),
)

TABLES = (
    ReportItem(
        "table_1_broadband_usage",
        "table",
        "Table 1: Trends in mean, median and mode of broadband users' daily traffic volume",
        "Mean, median and mode of personal broadband users' daily usage in MB (10^6 bytes), "
        "one row per year's comparison week.",
        ("usage_summary_by_year",),
    ),
    ReportItem(
        "table_2_mobile_usage",
        "table",
        "Table 2: Trends in mean, median and mode of mobile users' daily traffic volume",
        "Mean, median and mode of personal mobile users' daily usage in MB (10^6 bytes), "
        "one row per year's comparison week.",
        ("usage_summary_by_year",),
    ),
    ReportItem(
        "table_3_broadband_ports",
        "table",
        "Table 3: Broadband users' usage by port",
        "Share (%) of all PPPoE bytes by protocol and the port naming the flow (the lower of "
        "source and destination port), five years side by side.",
        ("port_usage_by_year",),
    ),
    ReportItem(
        "table_4_mobile_ports",
        "table",
        "Table 4: Mobile users' usage by port",
        "Share (%) of all mobile bytes by protocol and the port naming the flow, five years "
        "side by side.",
        ("port_usage_by_year",),
    ),
    ReportItem(
        "table_top_user_shares",
        "table",
        "Table 5: Share of traffic taken by the heaviest users",
        "Share (%) of each direction's total volume taken by the top 1% and top 10% of personal "
        "users, ranked separately per direction (the published report gives these in its text).",
        ("top_user_shares",),
    ),
    ReportItem(
        "table_traffic_growth",
        "table",
        "Table 7: Traffic growth",
        "Year-on-year growth of monthly traffic per service and direction, the five-year growth "
        "factor with its annual rate, and the growth of the daily-usage modes.",
        ("traffic_growth", "mode_growth"),
    ),
)

# Tables drawn by the report page itself from the frames of its figures, not assets of their own.
PAGE_TABLES = (
    ReportItem(
        "table_peak_hours",
        "table",
        "Table 6: Peak hour of traffic on weekdays and at weekends",
        "The hour of day (analysis time zone) with the most traffic of all ports, on average over "
        "Monday-Friday and over Saturday-Sunday of the week, from the hourly totals of Figures 7 "
        "and 8 (the published report describes the peaks in words).",
        ("hourly_port_traffic",),
    ),
)

ITEMS = FIGURES + TABLES + PAGE_TABLES

# The page of one analysis week (any week, real or synthetic): the single-week view of
# Tables 1-4 (the week's own ports rather than the published rows) and Figures 2-8. Items
# marked per service are drawn once for each service that has data in the week, their name
# and title ending with the service.
WEEK_TABLES = (
    ReportItem(
        "week_usage",
        "table",
        "Mean, median and mode of users' daily traffic volume",
        "Mean, median and mode of personal users' daily usage in MB (10^6 bytes), one row per "
        "service (the week's view of the report's Tables 1 and 2).",
        ("usage_summary",),
    ),
    ReportItem(
        "week_top_user_shares",
        "table",
        "Share of traffic taken by the heaviest users",
        "Share (%) of each direction's volume of the week taken by the top 1% and top 10% of "
        "users, ranked separately per direction.",
        ("top_user_shares",),
    ),
    ReportItem(
        "week_ports",
        "table",
        "Usage by protocol and port",
        "Share (%) of the week's flow bytes (PPPoE for broadband; IPoE has no flow detail) by "
        "protocol and the port naming "
        "the flow, the lower of the two: every protocol/port at or above the threshold the "
        "'other' row names, largest first, the rest in 'other', summing to 100. A flow between "
        "two subscribers counts once for each line.",
        ("week_port_shares",),
    ),
    ReportItem(
        "week_ipv6_share",
        "table",
        "IPv6 share of traffic (not in the published report)",
        "Bytes of the week's flows over IPv4 and IPv6 per service and direction, and the IPv6 "
        "share (%): PPPoE and mobile subscribers' flows, enterprise included, as in the port "
        "statistics.",
        ("ipv6_share",),
    ),
    ReportItem(
        "week_peak_hours",
        "table",
        "Peak hour of traffic on weekdays and at weekends",
        "The hour of day (analysis time zone) with the most traffic of all ports, on average over "
        "Monday-Friday and over Saturday-Sunday of the week, from the hourly totals of the port "
        "usage figures.",
        ("hourly_port_traffic",),
    ),
)
WEEK_FIGURES = (
    ReportItem(
        "week_usage_density",
        "figure",
        "Daily user traffic volume distribution",
        "Probability density of personal users' daily usage on a log axis from 10^4 to 10^11 "
        "bytes, IN (upload, dashed) and OUT (download, solid), as the report's Figures 3 and 4.",
        ("usage_distribution",),
    ),
    ReportItem(
        "week_user_scatter",
        "figure",
        "IN/OUT usage for each user",
        "Daily upload (IN) against download (OUT) of a reproducible random sample of personal "
        "users, log-log; the diagonal marks IN = OUT (the report's Figures 5 and 6).",
        ("user_sample",),
    ),
    ReportItem(
        "week_port_hours",
        "figure",
        "Port usage over the week",
        "Hourly traffic by port bucket over the week, normalised so that the peak of the total "
        "is 1 (the report's Figures 7 and 8).",
        ("hourly_port_traffic",),
    ),
    ReportItem(
        "week_weekday_hourly",
        "figure",
        "Hourly average traffic on weekdays",
        "Mean traffic by hour of day over Monday-Friday of the week; downloads (OUT) solid, "
        "uploads (IN) dotted (the report's Figures 2 and 9). Hourly detail comes from flow "
        "records.",
        ("weekday_hourly_traffic",),
    ),
)
WEEK_ITEMS = WEEK_FIGURES + WEEK_TABLES


def item(name: str) -> ReportItem:
    return next(entry for entry in ITEMS if entry.name == name)
