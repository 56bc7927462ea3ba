"""The report's tables: mart rows laid out as the published tables, rendered as Markdown and HTML.

Every cell is a mart value rounded for display; nothing is computed here beyond picking and
(for the port tables) adding up the port rows a published row groups together.
"""

import html
from dataclasses import dataclass

import pandas as pd

DIRECTIONS = ("IN", "OUT")
USAGE_STATISTICS = (("mean_mb", "Mean"), ("median_mb", "Median"), ("mode_mb", "Mode"))


@dataclass(frozen=True)
class ReportTable:
    """A table as shown: a header (with optional column groups), labelled rows of cells."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: str = ""
    # (group label, number of columns it spans) over `columns`; empty for a one-row header.
    column_groups: tuple[tuple[str, int], ...] = ()

    def to_markdown(self) -> str:
        header = self.columns
        if self.column_groups:
            labels = [group for group, span in self.column_groups for _ in range(span)]
            header = tuple(
                f"{group} {column}".strip() for group, column in zip(labels, header, strict=True)
            )
        lines = [
            f"**{self.title}**",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
            *("| " + " | ".join(row) + " |" for row in self.rows),
        ]
        if self.footer:
            lines += ["", f"_{self.footer}_"]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        escape = html.escape
        head = []
        if self.column_groups:
            cells = "".join(
                f'<th colspan="{span}">{escape(group)}</th>' for group, span in self.column_groups
            )
            head.append(f"<tr>{cells}</tr>")
        head.append("<tr>" + "".join(f"<th>{escape(c)}</th>" for c in self.columns) + "</tr>")
        body = [
            "<tr>"
            + f"<th>{escape(row[0])}</th>"
            + "".join(f"<td>{escape(cell)}</td>" for cell in row[1:])
            + "</tr>"
            for row in self.rows
        ]
        footer = f'<p class="table-footer">{escape(self.footer)}</p>' if self.footer else ""
        return (
            f'<table class="report-table" id="{escape(self.name)}">'
            f"<thead>{''.join(head)}</thead><tbody>{''.join(body)}</tbody></table>{footer}"
        )


def format_number(value: float, decimals: int) -> str:
    """Thousands separators off, as published; '-' for a value the mart does not have."""
    if pd.isna(value):
        return "-"
    return f"{value:.{decimals}f}"


def usage_table(
    name: str, title: str, summary_by_year: pd.DataFrame, decimals: int, footer: str = ""
) -> ReportTable:
    """Tables 1 and 2: per year, mean/median/mode of daily usage (MB) for IN and OUT.

    `summary_by_year` has columns year, direction, mean_mb, median_mb and mode_mb.
    """
    indexed = summary_by_year.set_index(["year", "direction"])
    rows = []
    for year in sorted(summary_by_year["year"].unique()):
        cells = [
            format_number(indexed.loc[(year, direction), column], decimals)
            for direction in DIRECTIONS
            for column, _ in USAGE_STATISTICS
        ]
        rows.append((str(year), *cells))
    labels = tuple(label for _, label in USAGE_STATISTICS)
    return ReportTable(
        name=name,
        title=title,
        columns=("Year", *labels, *labels),
        rows=tuple(rows),
        footer=footer,
        column_groups=(("", 1), ("IN (MB/day)", 3), ("OUT (MB/day)", 3)),
    )


def top_share_table(name: str, title: str, shares: pd.DataFrame, footer: str = "") -> ReportTable:
    """Share of each direction's volume taken by the top 1% and 10% of users, per year.

    `shares` has columns year, service, direction, top_percent and share_pct.
    """
    indexed = shares.set_index(["service", "year", "top_percent", "direction"])["share_pct"]
    top_percents = sorted(shares["top_percent"].unique())
    rows = []
    for service in sorted(shares["service"].unique()):
        for year in sorted(shares.loc[shares["service"] == service, "year"].unique()):
            cells = [
                format_number(indexed.get((service, year, top, direction)), 1)
                for top in top_percents
                for direction in DIRECTIONS
            ]
            rows.append((f"{service} {year}", *cells))
    return ReportTable(
        name=name,
        title=title,
        columns=("Service, year", *(d for _ in top_percents for d in DIRECTIONS)),
        rows=tuple(rows),
        footer=footer,
        column_groups=(
            ("", 1),
            *((f"top {format_number(top, 0)}% of users (% of volume)", 2) for top in top_percents),
        ),
    )


@dataclass(frozen=True)
class PortRow:
    """One published row of Tables 3/4: a protocol, and which of its flow ports it adds up."""

    label: str
    protocol: str
    port: int | None = None  # one port; None with no range means the whole protocol
    port_range: tuple[int, int] | None = None  # [low, high) of flow ports

    def matches(self, rows: pd.DataFrame) -> pd.Series:
        selected = rows["protocol_name"] == self.protocol
        if self.port is not None:
            selected &= rows["flow_port"] == self.port
        if self.port_range is not None:
            low, high = self.port_range
            selected &= rows["flow_port"].between(low, high - 1)
        return selected


WELL_KNOWN = (0, 1024)
DYNAMIC = (1024, 65536)

BROADBAND_PORT_ROWS = (
    PortRow("TCP", "TCP"),
    PortRow("(< 1024)", "TCP", port_range=WELL_KNOWN),
    PortRow("443 (https)", "TCP", 443),
    PortRow("80 (http)", "TCP", 80),
    PortRow("183", "TCP", 183),
    PortRow("993 (imaps)", "TCP", 993),
    PortRow("22 (ssh)", "TCP", 22),
    PortRow("(>= 1024)", "TCP", port_range=DYNAMIC),
    PortRow("31000", "TCP", 31000),
    PortRow("1935 (rtmp)", "TCP", 1935),
    PortRow("8080", "TCP", 8080),
    PortRow("UDP", "UDP"),
    PortRow("443 (https)", "UDP", 443),
    PortRow("4500 (nat-t)", "UDP", 4500),
    PortRow("8801", "UDP", 8801),
    PortRow("ESP", "ESP"),
    PortRow("GRE", "GRE"),
    PortRow("IP-ENCAP", "IP-ENCAP"),
    PortRow("ICMP", "ICMP"),
)

MOBILE_PORT_ROWS = (
    PortRow("TCP", "TCP"),
    PortRow("443 (https)", "TCP", 443),
    PortRow("80 (http)", "TCP", 80),
    PortRow("993 (imaps)", "TCP", 993),
    PortRow("1935 (rtmp)", "TCP", 1935),
    PortRow("UDP", "UDP"),
    PortRow("443 (https)", "UDP", 443),
    PortRow("4500 (nat-t)", "UDP", 4500),
    PortRow("51820", "UDP", 51820),
    PortRow("53 (dns)", "UDP", 53),
    PortRow("8801", "UDP", 8801),
    PortRow("ESP", "ESP"),
    PortRow("GRE", "GRE"),
    PortRow("ICMP", "ICMP"),
)


def port_shares(port_usage_by_year: pd.DataFrame, port_rows: tuple[PortRow, ...]) -> pd.DataFrame:
    """Share (%) of each published row per year: rows in `port_rows` order, a column per year.

    `port_usage_by_year` has columns year, protocol_name, flow_port and share_pct for one
    service; a published row adds up the port rows it covers.
    """
    years = sorted(port_usage_by_year["year"].unique())
    shares = {
        year: [
            port_usage_by_year.loc[
                row.matches(port_usage_by_year) & (port_usage_by_year["year"] == year),
                "share_pct",
            ].sum()
            for row in port_rows
        ]
        for year in years
    }
    return pd.DataFrame(shares, index=[row.label for row in port_rows])


def port_table(
    name: str,
    title: str,
    port_usage_by_year: pd.DataFrame,
    port_rows: tuple[PortRow, ...],
    footer: str = "",
) -> ReportTable:
    """Tables 3 and 4: share of bytes (%) by protocol and port, a column per year."""
    shares = port_shares(port_usage_by_year, port_rows)
    rows = tuple(
        (label, *(format_number(value, 1) for value in values))
        for label, values in zip(shares.index, shares.to_numpy(), strict=True)
    )
    return ReportTable(
        name=name,
        title=title,
        columns=("protocol port", *(f"{year} (%)" for year in shares.columns)),
        rows=rows,
        footer=footer,
    )
