"""Comparing what the pipeline computed with the published report.

`expected_values` turns the published figures (dagster_project/reference/published.yaml)
into one row per year and statistic with its tolerance; `read_computed` reads the same
statistics from the dbt marts; `compare` lines them up and decides pass/fail. The
comparison is a pure function so that it can be tested on hand-made inputs.
"""

import math
from dataclasses import dataclass

import duckdb
import pandas as pd

COLUMNS = [
    "item",
    "service",
    "direction",
    "year",
    "statistic",
    "published",
    "computed",
    "deviation",
    "tolerance",
    "unit",
    "passed",
]

# Port-range rows of Tables 3 and 4 -> published.yaml row keys.
RANGE_ROWS = {"(< 1024)": "<1024", "(>= 1024)": ">=1024"}


@dataclass(frozen=True)
class Expected:
    """One published statistic and how far the computed value may be from it."""

    item: str
    service: str
    direction: str
    year: int
    statistic: str
    published: float
    tolerance: float
    unit: str  # "relative", "points" or "bins": how deviation and tolerance are measured

    @property
    def key(self) -> tuple[str, str, str, int, str]:
        return (self.item, self.service, self.direction, self.year, self.statistic)


def mode_bin(mode_mb: float) -> int:
    """k of the 0.05-decade bin a mode in MB/day lies in (centre 10^(k/20) MB)."""
    return round(20 * math.log10(mode_mb))


def expected_values(published: dict) -> list[Expected]:
    """Every published statistic the calibration checks, with its tolerance."""
    tol = published["tolerances"]
    rows: list[Expected] = []
    for service, directions in published["daily_usage"].items():
        item = "Table 1" if service == "broadband" else "Table 2"
        for direction, years in directions.items():
            for year, stats in years.items():
                base = (item, service, direction.upper(), int(year))
                rows += [
                    Expected(*base, "mean_mb", stats["mean"], tol["mean_relative"], "relative"),
                    Expected(
                        *base, "median_mb", stats["median"], tol["median_relative"], "relative"
                    ),
                    Expected(*base, "mode_bin", mode_bin(stats["mode"]), tol["mode_bins"], "bins"),
                ]
    for service, directions in published["top_user_shares"].items():
        for direction, years in directions.items():
            for year, shares in years.items():
                for top in ("top1", "top10"):
                    rows.append(
                        Expected(
                            "top users",
                            service,
                            direction.upper(),
                            int(year),
                            f"{top}_share_pct",
                            shares[top],
                            tol["top_share_points"],
                            "points",
                        )
                    )
    for service, table in published["port_shares"].items():
        item = "Table 3" if service == "broadband" else "Table 4"
        for row, years in table.items():
            for year, share in years.items():
                rows.append(
                    Expected(
                        item,
                        service,
                        "all",
                        int(year),
                        f"share_pct {row}",
                        share,
                        tol["port_share_points"],
                        "points",
                    )
                )
    rows += _growth_expectations(published["growth"], tol)
    return rows


def _growth_expectations(growth: dict, tol: dict) -> list[Expected]:
    rows: list[Expected] = []
    for service, directions in growth["year_on_year_percent"].items():
        for direction, years in directions.items():
            for year, percent in years.items():
                rows.append(
                    Expected(
                        "growth",
                        service,
                        direction.upper(),
                        int(year),
                        "year_on_year_pct",
                        percent,
                        tol["growth_points"],
                        "points",
                    )
                )
    for service, directions in growth["five_year_factor"].items():
        for direction, values in directions.items():
            for statistic in ("factor", "annual"):
                rows.append(
                    Expected(
                        "growth",
                        service,
                        direction.upper(),
                        2024,
                        f"five_year_{statistic}",
                        values[statistic],
                        tol["growth_factor_relative"],
                        "relative",
                    )
                )
    rows.append(
        Expected(
            "growth",
            "mobile",
            "OUT",
            2024,
            "vs_january_2020",
            growth["mobile_out_vs_january_2020"],
            tol["growth_factor_relative"],
            "relative",
        )
    )
    for direction, years in growth["ipoe_share_percent"].items():
        for year, percent in years.items():
            rows.append(
                Expected(
                    "growth",
                    "broadband",
                    direction.upper(),
                    int(year),
                    "ipoe_share_pct",
                    percent,
                    tol["growth_points"],
                    "points",
                )
            )
    for service, directions in growth["mode_factor"].items():
        for direction, factor in directions.items():
            rows.append(
                Expected(
                    "growth",
                    service,
                    direction.upper(),
                    2024,
                    "mode_factor_2019",
                    factor,
                    tol["growth_factor_relative"],
                    "relative",
                )
            )
    return rows


def deviation(expected: Expected, computed: float) -> float:
    if expected.unit == "relative":
        return computed / expected.published - 1.0
    return computed - expected.published


def compare(
    expected: list[Expected], computed: dict[tuple[str, str, str, int, str], float]
) -> pd.DataFrame:
    """One row per expected statistic: published, computed, deviation, tolerance, passed.

    A statistic the pipeline did not produce has no computed value and fails.
    """
    rows = []
    for item in expected:
        value = computed.get(item.key)
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        gap = math.nan if missing else deviation(item, float(value))
        passed = (not missing) and abs(gap) <= item.tolerance + 1e-9
        rows.append(
            (
                item.item,
                item.service,
                item.direction,
                item.year,
                item.statistic,
                item.published,
                math.nan if missing else float(value),
                gap,
                item.tolerance,
                item.unit,
                passed,
            )
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def read_computed(
    con: duckdb.DuckDBPyConnection, comparison_weeks: dict[int, object]
) -> dict[tuple[str, str, str, int, str], float]:
    """The pipeline's values of every calibrated statistic, keyed like `Expected.key`."""
    computed: dict[tuple[str, str, str, int, str], float] = {}
    usage = con.execute(
        "select report_year, service, direction, mean_mb, median_mb, mode_bin "
        "from main.usage_summary_by_year"
    ).fetchall()
    for year, service, direction, mean_mb, median_mb, bin_k in usage:
        item = "Table 1" if service == "broadband" else "Table 2"
        for statistic, value in (
            ("mean_mb", mean_mb),
            ("median_mb", median_mb),
            ("mode_bin", bin_k),
        ):
            computed[(item, service, direction, int(year), statistic)] = _number(value)
    week_years = {str(week): year for year, week in comparison_weeks.items()}
    tops = con.execute(
        "select week_start, service, direction, top_percent, share_pct from main.top_user_shares"
    ).fetchall()
    for week, service, direction, top, share in tops:
        year = week_years.get(str(week))
        if year is not None:
            key = ("top users", service, direction, int(year), f"top{int(top)}_share_pct")
            computed[key] = _number(share)
    computed |= _read_ports(con)
    computed |= _read_growth(con)
    return computed


def _read_ports(con: duckdb.DuckDBPyConnection) -> dict:
    rows = con.execute(
        "select report_year, service, label, level, share_pct from main.port_usage_by_year "
        "order by report_year, service, row_order"
    ).fetchall()
    return port_shares_by_row(rows)


def port_shares_by_row(rows: list[tuple]) -> dict:
    """Shares keyed like the published rows, from Table 3/4 rows in table order.

    Each row is (year, service, label, level, share): level-0 rows name a protocol and open
    its section; below them a range row "(< 1024)" or a port row "443 (https)".
    """
    computed = {}
    protocol = ""
    for year, service, label, level, share in rows:
        if level == 0:
            protocol = label.lower()
            row = protocol
        elif label in RANGE_ROWS:
            row = protocol + RANGE_ROWS[label]
        else:
            row = f"{protocol}/{label.split()[0]}"
        item = "Table 3" if service == "broadband" else "Table 4"
        computed[(item, service, "all", int(year), f"share_pct {row}")] = _number(share)
    return computed


def _read_growth(con: duckdb.DuckDBPyConnection) -> dict:
    computed = {}
    growth = con.execute(
        "select service, direction, years, year(to_month), growth_factor, annual_factor "
        "from main.traffic_growth where month(to_month) = 6"
    ).fetchall()
    for service, direction, years, to_year, factor, annual in growth:
        if years == 1:
            key = ("growth", service, direction, int(to_year), "year_on_year_pct")
            computed[key] = 100 * (_number(factor) - 1)
        elif years == 5:
            computed[("growth", service, direction, int(to_year), "five_year_factor")] = _number(
                factor
            )
            computed[("growth", service, direction, int(to_year), "five_year_annual")] = _number(
                annual
            )
    monthly = con.execute(
        "select service, access, direction, year(month), normalized_traffic, access_share_pct "
        "from main.monthly_traffic where month(month) = 6"
    ).fetchall()
    for service, access, direction, year, normalized, access_share in monthly:
        if service == "mobile" and access == "all" and direction == "OUT":
            computed[("growth", "mobile", "OUT", int(year), "vs_january_2020")] = _number(
                normalized
            )
        if service == "broadband" and access == "ipoe":
            key = ("growth", "broadband", direction, int(year), "ipoe_share_pct")
            computed[key] = _number(access_share)
    modes = con.execute(
        "select service, direction, to_year, growth_factor from main.mode_growth "
        "where from_year = 2019"
    ).fetchall()
    for service, direction, to_year, factor in modes:
        computed[("growth", service, direction, int(to_year), "mode_factor_2019")] = _number(factor)
    return computed


def _number(value: object) -> float:
    return math.nan if value is None else float(value)


def summary_markdown(table: pd.DataFrame) -> str:
    """The comparison as a Markdown table, failures first."""
    ordered = table.sort_values(["passed", "item", "service", "direction", "year", "statistic"])
    header = (
        "item",
        "service",
        "dir",
        "year",
        "statistic",
        "published",
        "computed",
        "deviation",
        "tolerance",
        "ok",
    )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in ordered.itertuples(index=False):
        lines.append(
            f"| {row.item} | {row.service} | {row.direction} | {row.year} | {row.statistic} "
            f"| {row.published:g} | {_format(row.computed)} | {_format_deviation(row)} "
            f"| {_format_tolerance(row)} | {'pass' if row.passed else 'FAIL'} |"
        )
    return "\n".join(lines)


def _format(value: float) -> str:
    return "missing" if math.isnan(value) else f"{value:.4g}"


def _format_deviation(row) -> str:
    if math.isnan(row.deviation):
        return "-"
    if row.unit == "relative":
        return f"{100 * row.deviation:+.1f} %"
    return f"{row.deviation:+.2f} {row.unit}"


def _format_tolerance(row) -> str:
    if row.unit == "relative":
        return f"{100 * row.tolerance:.0f} %"
    return f"{row.tolerance:g} {row.unit}"
