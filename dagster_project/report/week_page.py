"""The page of one analysis week: its sections, tables and figures, drawn from that week's
marts.

Pure: the week's rows of each mart go in, the page content comes out. A service with no rows
in the week (a real week of broadband flows only has no mobile) is named in a note instead of
being drawn as an empty figure. The page numbers its figures and tables in the order its
sections show them (WEEK_OUTLINE).
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import NamedTuple

import pandas as pd

from dagster_project.report import figures, outline, tables
from dagster_project.report import week_findings as findings
from dagster_project.report.catalogue import WEEK_ITEMS, ReportItem
from dagster_project.report.exports import ExportItem, table_export
from dagster_project.report.figures.port_charts import SERVICE_BUCKETS
from dagster_project.report.figures.usage_charts import drawable_users
from dagster_project.report.outline import METHOD, PassageSpec, SectionSpec
from dagster_project.report.pages import Provenance, ReportContent
from dagster_project.report.peak_hours import peak_hour_table
from dagster_project.report.wording import capitalised

SERVICES = ("broadband", "mobile")
# The method note's share of the week's bytes between two subscribers, per service.
PAIR_MART = "subscriber_pair_traffic"
WEEK_MARTS = tuple(sorted({mart for entry in WEEK_ITEMS for mart in entry.marts} | {PAIR_MART}))
PER_LINE_ACCOUNTING = (
    "Per-line accounting: a flow between two subscribers is one subscriber's upload and the "
    "other's download, so it counts once for each line, in the port shares too."
)
# One week of one user can be a few kB a day: two decimals keep small volumes readable.
USAGE_DECIMALS = 2
# The column that labels the week's rows where the published items have a year.
WEEK_LABEL = "week"
# The IPv6 table's byte columns (of ipv6_share), shown in GB (10^9 bytes).
IPV6_BYTES = ("ipv4_bytes", "ipv6_bytes")

# render(item, its frame, service, footnote) -> PNG bytes of a figure or a table as shown.
Render = Callable[[ReportItem, pd.DataFrame, str | None, str], bytes | tables.ReportTable]
# frame(its mart rows (one service's, or every service's), service) -> the rows drawn.
Frame = Callable[[pd.DataFrame, str | None], pd.DataFrame]


def _usage_table(
    entry: ReportItem, rows: pd.DataFrame, _: str | None, note: str
) -> tables.ReportTable:
    return tables.usage_table(
        entry.name, entry.title, rows, USAGE_DECIMALS, note, row_key=("service", "Service")
    )


def _top_share_table(
    entry: ReportItem, rows: pd.DataFrame, _: str | None, note: str
) -> tables.ReportTable:
    return tables.top_share_table(entry.name, entry.title, rows, note, period=(WEEK_LABEL, "week"))


def _port_label(row: pd.Series) -> str:
    if pd.isna(row["protocol_name"]):
        return f"{row['label']} (each < {row['threshold_pct']:g}%)"
    return row["label"]


def _port_table(
    entry: ReportItem, rows: pd.DataFrame, _: str | None, note: str
) -> tables.ReportTable:
    """The week's own ports: every row of week_port_shares, largest first, 'other' last."""
    shown = tuple(
        (_port_label(row), tables.format_number(row["share_pct"], 1))
        for _, row in rows.sort_values("row_order").iterrows()
    )
    return tables.ReportTable(
        entry.name, entry.title, ("protocol port", "share (%)"), shown, note, keys=("share_pct",)
    )


def _ipv6_table(
    entry: ReportItem, rows: pd.DataFrame, _: str | None, note: str
) -> tables.ReportTable:
    """The week's bytes over IPv4 and IPv6 per service and direction, and the IPv6 share."""
    shown = tuple(
        (
            f"{row['service']} {row['direction']}",
            *(tables.format_number(row[column] / 1e9, 1) for column in IPV6_BYTES),
            tables.format_number(row["ipv6_share_pct"], 1),
        )
        for _, row in rows.sort_values(["service", "direction"]).iterrows()
    )
    columns = ("service direction", "IPv4 (GB)", "IPv6 (GB)", "IPv6 share (%)")
    keys = ("ipv4_gb", "ipv6_gb", "ipv6_share_pct")
    return tables.ReportTable(entry.name, entry.title, columns, shown, note, keys=keys)


def _peak_table(
    entry: ReportItem, rows: pd.DataFrame, _: str | None, note: str
) -> tables.ReportTable:
    return peak_hour_table(entry.name, entry.title, rows, note, period=(WEEK_LABEL, "week"))


def _density(entry: ReportItem, rows: pd.DataFrame, _: str | None, note: str) -> bytes:
    return figures.density_figure(rows, entry.title, note, period=WEEK_LABEL)


def _scatter(entry: ReportItem, rows: pd.DataFrame, _: str | None, note: str) -> bytes:
    return figures.scatter_figure(rows, entry.title, note)


def _port_buckets(rows: pd.DataFrame, service: str | None) -> pd.DataFrame:
    return rows[rows["bucket"].isin(SERVICE_BUCKETS[service])]


def _port_hours(entry: ReportItem, buckets: pd.DataFrame, _: str | None, note: str) -> bytes:
    return figures.hourly_port_figure(buckets, entry.title, note)


def _weekday_hourly(entry: ReportItem, rows: pd.DataFrame, _: str | None, note: str) -> bytes:
    return figures.weekday_hourly_figure(rows, entry.title, note)


def _has_rows(rows: pd.DataFrame) -> bool:
    return not rows.empty


def _all_rows(rows: pd.DataFrame, _: str | None) -> pd.DataFrame:
    return rows


@dataclass(frozen=True)
class WeekSection:
    """How one catalogue item is drawn for a week: once, or once per service with data."""

    name: str
    render: Render
    per_service: bool
    # Whether the rows hold anything to draw, and what the page says when they do not.
    drawable: Callable[[pd.DataFrame], bool] = _has_rows
    nothing_to_draw: str = "no rows in the week"
    # The rows handed to `render`: the frame a figure is drawn from.
    frame: Frame = _all_rows


SECTIONS = (
    WeekSection("week_usage_density", _density, per_service=True),
    WeekSection(
        "week_user_scatter",
        _scatter,
        per_service=True,
        drawable=lambda rows: not drawable_users(rows).empty,
        nothing_to_draw="no sampled user has traffic in both directions",
    ),
    WeekSection("week_port_hours", _port_hours, per_service=True, frame=_port_buckets),
    WeekSection("week_weekday_hourly", _weekday_hourly, per_service=True),
    WeekSection("week_usage", _usage_table, per_service=False),
    WeekSection("week_top_user_shares", _top_share_table, per_service=False),
    WeekSection("week_ports", _port_table, per_service=True),
    WeekSection("week_ipv6_share", _ipv6_table, per_service=False),
    WeekSection("week_peak_hours", _peak_table, per_service=False),
)
CATALOGUE = {entry.name: entry for entry in WEEK_ITEMS}

# The page as the published report is organised, with what one week's data allows.
WEEK_OUTLINE = (
    SectionSpec(
        "overview",
        "Overview",
        (PassageSpec(findings.overview, ("week_weekday_hourly",)),),
    ),
    SectionSpec(
        "data",
        "About the data",
        (
            PassageSpec(findings.about_the_data, kind=METHOD),
            PassageSpec(findings.method, kind=METHOD),
        ),
    ),
    SectionSpec(
        "users",
        "Users' daily traffic",
        (
            PassageSpec(findings.usage, ("week_usage", "week_usage_density")),
            PassageSpec(findings.heavy_users, ("week_user_scatter", "week_top_user_shares")),
        ),
    ),
    SectionSpec(
        "ports",
        "Usage by port",
        (
            PassageSpec(findings.ports, ("week_ports",)),
            PassageSpec(findings.peak_hours, ("week_port_hours", "week_peak_hours")),
            PassageSpec(findings.ipv6, ("week_ipv6_share",)),
        ),
    ),
    SectionSpec("conclusion", "Conclusion", (PassageSpec(findings.conclusion),)),
)


def services_with_data(marts: dict[str, pd.DataFrame]) -> tuple[str, ...]:
    """The services that have rows in any of the week's marts."""
    present = {service for frame in marts.values() for service in frame["service"].unique()}
    return tuple(service for service in SERVICES if service in present)


def for_service(entry: ReportItem, service: str) -> ReportItem:
    return replace(
        entry,
        name=f"{entry.name}_{service}",
        title=f"{entry.title} ({service})",
        caption=f"{capitalised(service)}. {entry.caption}",
    )


def _targets(
    section: WeekSection, services: tuple[str, ...]
) -> list[tuple[ReportItem, tuple[str, ...], str | None]]:
    """(item as shown, services its rows cover, the one service it is drawn for)."""
    template = CATALOGUE[section.name]
    if section.per_service:
        return [(for_service(template, service), (service,), service) for service in services]
    return [(template, services, None)] if services else []


def method_note(pairs: pd.DataFrame, services: tuple[str, ...]) -> tuple[str, ...]:
    """Per-line accounting, and how much of each service's port-table bytes it doubles."""
    shares = pairs.set_index("service")["share_pct"]
    return (
        PER_LINE_ACCOUNTING,
        *(
            f"{service}: {tables.format_number(shares.get(service), 1)}% of the week's flow "
            "bytes went between two subscribers (counted once for each line)."
            for service in services
        ),
    )


class Shown(NamedTuple):
    """An item of the page, the frame it is drawn from and the service it is drawn for."""

    section: WeekSection
    entry: ReportItem
    frame: pd.DataFrame
    service: str | None


def _names(shown: list[Shown]) -> outline.Shown:
    """The names of the items the page shows for a catalogue item, in order."""
    return lambda template: [item.entry.name for item in shown if item.section.name == template]


def _numbered(shown: list[Shown]) -> list[Shown]:
    """The items in the order the page's sections show them, numbered in that order."""
    by_name = {item.entry.name: item for item in shown}
    order = outline.placed(WEEK_OUTLINE, _names(shown))
    entries = outline.numbered([by_name[name].entry for name in order])
    return [by_name[entry.name]._replace(entry=entry) for entry in entries]


def _shown(week: str, marts: dict[str, pd.DataFrame]) -> tuple[list[Shown], list[str]]:
    """Every item the page of `week` draws, numbered, and the notes on what it leaves out."""
    labelled = {name: frame.assign(**{WEEK_LABEL: week}) for name, frame in marts.items()}
    services = services_with_data(labelled)
    notes = [
        f"No data for {service} in this week: its figures and tables are left out."
        for service in SERVICES
        if service not in services
    ]
    shown: list[Shown] = []
    for section in SECTIONS:
        for entry, covered, service in _targets(section, services):
            (mart,) = entry.marts
            rows = labelled[mart][labelled[mart]["service"].isin(covered)]
            if section.drawable(rows):
                shown.append(Shown(section, entry, section.frame(rows, service), service))
            else:
                notes.append(f"{entry.title}: not drawn, {section.nothing_to_draw} ({mart}).")
    return _numbered(shown), notes


def _subtitle(week: str, services: tuple[str, ...], time_zone: str) -> str:
    sunday = date.fromisoformat(week) + timedelta(days=6)
    traffic = f"{capitalised(outline.join_words(services))} traffic" if services else "Traffic"
    return f"{traffic}, Monday {week} to Sunday {sunday.isoformat()} ({time_zone})"


def week_content(
    week: str, marts: dict[str, pd.DataFrame], provenance: Provenance, footnote: str
) -> ReportContent:
    """The page of `week` from its rows of every mart in WEEK_MARTS (columns as in dbt)."""
    shown, notes = _shown(week, marts)
    drawn = [
        (item.entry, item.section.render(item.entry, item.frame, item.service, footnote))
        for item in shown
    ]
    shown_tables = [(entry, out) for entry, out in drawn if isinstance(out, tables.ReportTable)]
    services = services_with_data(marts)
    facts = outline.Facts(
        tables={entry.name: table for entry, table in shown_tables},
        labels=outline.labels(item.entry for item in shown),
        context={findings.WEEK: week, findings.TIME_ZONE: provenance.time_zone},
        method=method_note(marts[PAIR_MART], services),
    )
    return ReportContent(
        week=week,
        title=f"Week of {week}",
        subtitle=_subtitle(week, services, provenance.time_zone),
        figures=tuple((entry, out) for entry, out in drawn if isinstance(out, bytes)),
        tables=tuple((entry, table.to_html()) for entry, table in shown_tables),
        provenance=provenance,
        notes=tuple(notes),
        sections=outline.sections(WEEK_OUTLINE, facts, _names(shown)),
    )


def _export(item: Shown) -> ExportItem:
    if item.entry.kind == "figure":
        return ExportItem(item.entry, item.frame)
    table = item.section.render(item.entry, item.frame, item.service, "")
    assert isinstance(table, tables.ReportTable)
    return table_export(item.entry, table)


def week_exports(week: str, marts: dict[str, pd.DataFrame]) -> list[ExportItem]:
    """The data of every item on the page of `week`: each table as shown, the frame each
    figure is drawn from."""
    shown, _ = _shown(week, marts)
    return [_export(item) for item in shown]
