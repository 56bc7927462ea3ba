"""The report's tables: mart rows laid out as the published tables, rendered as Markdown and HTML.

Every cell is a mart value rounded for display; nothing is computed here beyond picking the
rows and columns the published tables show.
"""

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dagster_project.report.templates import render

DIRECTIONS = ("IN", "OUT")
USAGE_STATISTICS = (("mean_mb", "Mean"), ("median_mb", "Median"), ("mode_mb", "Mode"))
# What a table shows for a value the mart does not have.
MISSING = "-"
# The growth table's value columns, as the findings look them up.
GROWTH_KEYS = (
    "year_on_year_pct",
    "year_earlier_pct",
    "five_years",
    "five_years_per_year",
    "mode_year_on_year",
    "mode_five_years",
)


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
    # What the written findings look a value up by: a key per value column (every column
    # but the label) and per row (the row's label unless given, as for the port tables,
    # where "443 (https)" is both a TCP and a UDP row).
    keys: tuple[str, ...] = ()
    row_keys: tuple[str, ...] = ()

    def value(self, row: str, column: str) -> str | None:
        """The cell shown in row `row` and column `column` (keys), None when the table has
        no such row or column or shows the value as missing."""
        row_keys = self.row_keys or tuple(cells[0] for cells in self.rows)
        if row not in row_keys or column not in self.keys:
            return None
        cell = self.rows[row_keys.index(row)][1 + self.keys.index(column)]
        return None if cell == MISSING else cell

    @property
    def header(self) -> tuple[str, ...]:
        """One header row: each column's name after the label of its group."""
        if not self.column_groups:
            return self.columns
        labels = [group for group, span in self.column_groups for _ in range(span)]
        return tuple(
            f"{group} {column}".strip() for group, column in zip(labels, self.columns, strict=True)
        )

    def to_markdown(self) -> str:
        header = self.header
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
        """The table as an HTML fragment (templates/table.html.j2), every cell escaped."""
        return render("table.html.j2", table=self)


def format_number(value: float, decimals: int) -> str:
    """Thousands separators off, as published; '-' for a value the mart does not have."""
    if pd.isna(value):
        return MISSING
    return f"{value:.{decimals}f}"


def usage_table(
    name: str,
    title: str,
    summary_by_year: pd.DataFrame,
    decimals: int,
    footer: str = "",
    row_key: tuple[str, str] = ("report_year", "Year"),
) -> ReportTable:
    """Tables 1 and 2: per year, mean/median/mode of daily usage (MB) for IN and OUT.

    `summary_by_year` has columns direction, mean_mb, median_mb, mode_mb and the column
    that labels the rows; `row_key` is (that column, its header): a row per report year, or
    per service for the summary of one week.
    """
    column, header = row_key
    indexed = summary_by_year.set_index([column, "direction"])
    rows = []
    for year in sorted(summary_by_year[column].unique()):
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
        columns=(header, *labels, *labels),
        rows=tuple(rows),
        footer=footer,
        column_groups=(("", 1), ("IN (MB/day)", 3), ("OUT (MB/day)", 3)),
        keys=tuple(
            f"{direction} {column}" for direction in DIRECTIONS for column, _ in USAGE_STATISTICS
        ),
    )


def top_share_table(
    name: str,
    title: str,
    shares: pd.DataFrame,
    footer: str = "",
    period: tuple[str, str] = ("report_year", "year"),
) -> ReportTable:
    """Share of each direction's volume taken by the top 1% and 10% of users, per year.

    `shares` has columns service, direction, top_percent and share_pct; `period` is (the
    column that labels the period, what the header calls it): the report year, or one week.
    """
    period, period_name = period
    indexed = shares.set_index(["service", period, "top_percent", "direction"])["share_pct"]
    top_percents = sorted(shares["top_percent"].unique())
    rows = []
    for service in sorted(shares["service"].unique()):
        for year in sorted(shares.loc[shares["service"] == service, period].unique()):
            cells = [
                format_number(indexed.get((service, year, top, direction)), 1)
                for top in top_percents
                for direction in DIRECTIONS
            ]
            rows.append((f"{service} {year}", *cells))
    return ReportTable(
        name=name,
        title=title,
        columns=(f"Service, {period_name}", *(d for _ in top_percents for d in DIRECTIONS)),
        rows=tuple(rows),
        footer=footer,
        column_groups=(
            ("", 1),
            *((f"top {format_number(top, 0)}% of users (% of volume)", 2) for top in top_percents),
        ),
        keys=tuple(f"top{top:g} {direction}" for top in top_percents for direction in DIRECTIONS),
    )


PORT_TABLE_YEARS = 5


def published_row_orders(mart_rows: pd.DataFrame, rows: tuple[tuple[str, str], ...]) -> list[int]:
    """The mart's row_order of each published (protocol, label) row."""
    ordered = mart_rows[["row_order", "label", "level"]].drop_duplicates().sort_values("row_order")
    # The protocol section of a row is the label of the last level-0 row at or above it.
    sections = ordered["label"].where(ordered["level"] == 0).ffill()
    order_of = dict(
        zip(zip(sections, ordered["label"], strict=True), ordered["row_order"], strict=True)
    )
    missing = [row for row in rows if row not in order_of]
    if missing:
        raise ValueError(f"port table rows {missing} are not in the mart")
    return [int(order_of[row]) for row in rows]


def port_table(
    name: str,
    title: str,
    port_usage_by_year: pd.DataFrame,
    published_rows: tuple[tuple[str, str], ...],
    footer: str = "",
    period: str = "report_year",
) -> ReportTable:
    """Tables 3 and 4: share of bytes (%) by protocol and port, a column per report year.

    `port_usage_by_year` has columns row_order, label, level, share_pct and `period` (the
    report year, or a label of one week) for one service; the published rows are picked out
    of the mart's rows, and the latest five periods are shown side by side.
    """
    shares = port_usage_by_year.pivot(index="row_order", columns=period, values="share_pct")
    shares = shares[sorted(shares.columns)[-PORT_TABLE_YEARS:]]
    orders = published_row_orders(port_usage_by_year, published_rows)
    rows = tuple(
        (label, *(format_number(value, 1) for value in shares.loc[order]))
        for (_, label), order in zip(published_rows, orders, strict=True)
    )
    return ReportTable(
        name=name,
        title=title,
        columns=("protocol port", *(f"{year} (%)" for year in shares.columns)),
        rows=rows,
        footer=footer,
        keys=tuple(str(year) for year in shares.columns),
        row_keys=tuple(
            protocol if label == protocol else f"{protocol} {label}"
            for protocol, label in published_rows
        ),
    )


def _lookup(values: pd.Series, key: tuple) -> float:
    """The value at `key`, NaN (shown as '-') when the mart has no such row."""
    value = values.get(key)
    return float("nan") if value is None else float(value)


def growth_table(
    name: str,
    title: str,
    traffic_growth: pd.DataFrame,
    mode_growth: pd.DataFrame,
    to_month: date,
    years: tuple[int, int],
    footer: str = "",
) -> ReportTable:
    """The growth figures the report quotes, per service and direction.

    Monthly traffic growth to `to_month` over one year (and the year before), over five years
    with its annual rate (`traffic_growth`: service, direction, years, to_month,
    growth_factor, annual_factor), and the growth of the usage mode from the previous report
    year and from the first to the last (`mode_growth`: service, direction, from_year,
    to_year, growth_factor, annual_factor).
    """
    first_year, last_year = years
    year_earlier = date(to_month.year - 1, to_month.month, 1)
    keys = ["service", "direction", "years", "to_month"]
    traffic = traffic_growth.assign(to_month=pd.to_datetime(traffic_growth["to_month"]).dt.date)
    factors = traffic.set_index(keys)["growth_factor"]
    annual = traffic.set_index(keys)["annual_factor"]
    modes = mode_growth.set_index(["service", "direction", "from_year", "to_year"])
    rows = []
    for service in ("broadband", "mobile"):
        for direction in DIRECTIONS:
            line = (service, direction)
            rows.append(
                (
                    f"{service} {direction}",
                    format_number(100 * (_lookup(factors, (*line, 1, to_month)) - 1), 1),
                    format_number(100 * (_lookup(factors, (*line, 1, year_earlier)) - 1), 1),
                    format_number(_lookup(factors, (*line, 5, to_month)), 2),
                    format_number(_lookup(annual, (*line, 5, to_month)), 2),
                    format_number(
                        _lookup(modes["growth_factor"], (*line, last_year - 1, last_year)), 2
                    ),
                    format_number(
                        _lookup(modes["growth_factor"], (*line, first_year, last_year)), 2
                    ),
                )
            )
    return ReportTable(
        name=name,
        title=title,
        columns=(
            "Service, direction",
            f"to {to_month:%b %Y} (%)",
            f"to {year_earlier:%b %Y} (%)",
            f"{to_month.year - 5}-{to_month.year} (x)",
            "per year (x)",
            f"{last_year - 1}-{last_year} (x)",
            f"{first_year}-{last_year} (x)",
        ),
        rows=tuple(rows),
        footer=footer,
        column_groups=(
            ("", 1),
            ("monthly traffic, year on year", 2),
            ("monthly traffic, five years", 2),
            ("mode of daily usage", 2),
        ),
        keys=GROWTH_KEYS,
    )


def _significant(value: float) -> str:
    return MISSING if pd.isna(value) else f"{value:.4g}"


# How a calibration deviation or tolerance reads in each of its units.
CALIBRATION_UNITS = {
    "relative": lambda value: f"{100 * value:.2f}%",
    "points": lambda value: f"{value:.2f} points",
    "bins": lambda value: f"{value:.0f} bins",
}


def _in_unit(value: float, unit: str) -> str:
    if pd.isna(value):
        return MISSING
    return CALIBRATION_UNITS.get(unit, _significant)(value)


def calibration_table(name: str, comparison: pd.DataFrame, footer: str = "") -> ReportTable:
    """The calibration comparison (published statistic vs computed), failures first.

    `comparison` has the columns the calibration asset writes: item, service, direction,
    year, statistic, published, computed, deviation, tolerance, unit and passed.
    """
    ordered = comparison.sort_values(
        ["passed", "item", "service", "direction", "year", "statistic"], kind="stable"
    )
    rows = tuple(
        (
            " ".join(
                str(part)
                for part in (row.item, row.service, row.direction, row.year, row.statistic)
                if not pd.isna(part) and part != ""
            ),
            _significant(row.published),
            _significant(row.computed),
            _in_unit(row.deviation, row.unit),
            _in_unit(row.tolerance, row.unit),
            "pass" if row.passed else "FAIL",
        )
        for row in ordered.itertuples(index=False)
    )
    passed = int(comparison["passed"].sum())
    return ReportTable(
        name=name,
        title=f"Calibration: {passed} of {len(comparison)} published statistics within tolerance",
        columns=("statistic", "published", "computed", "deviation", "tolerance", "result"),
        rows=rows,
        footer=footer,
    )
