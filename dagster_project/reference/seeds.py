"""The dbt seeds (dbt/seeds/*.csv) read from Python: one owner for the report's reference data.

dbt loads the same files as tables (`ref('report_protocols')`, ...); here they are parsed with
the csv module into small typed values, each file read once per process. An empty cell is
null, as in dbt. No Dagster import: report, validation and test code can all use this.
"""

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType

from dagster_project.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

SERVICES = ("broadband", "mobile")


def _rows(seed: str) -> list[dict[str, str | None]]:
    """The rows of seeds/<seed>.csv, empty cells as None."""
    path: Path = SEEDS_DIR / f"{seed}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {column: (value if value != "" else None) for column, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


def _bool(value: str | None) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"expected true or false, got {value!r}")
    return value == "true"


@cache
def report_protocols() -> dict[int, str]:
    """IP protocol number -> the name the report uses; any other protocol is 'other'."""
    return {int(row["protocol"]): str(row["protocol_name"]) for row in _rows("report_protocols")}


@dataclass(frozen=True)
class PortTableRow:
    """One row of Tables 3 and 4 (seed port_table_rows)."""

    row_order: int
    label: str
    level: int
    protocol_name: str
    port_range: str | None
    port: int | None
    in_table_3: bool
    in_table_4: bool
    table_4_order: int | None

    @property
    def section(self) -> str:
        """The protocol section of the table the row sits in (its protocol name)."""
        return self.protocol_name


@cache
def port_table_rows() -> tuple[PortTableRow, ...]:
    """Every row port_usage computes, in row_order."""
    rows = (
        PortTableRow(
            row_order=int(row["row_order"]),
            label=str(row["label"]),
            level=int(row["level"]),
            protocol_name=str(row["protocol_name"]),
            port_range=row["port_range"],
            port=_int(row["port"]),
            in_table_3=_bool(row["in_table_3"]),
            in_table_4=_bool(row["in_table_4"]),
            table_4_order=_int(row["table_4_order"]),
        )
        for row in _rows("port_table_rows")
    )
    return tuple(sorted(rows, key=lambda row: row.row_order))


@cache
def published_port_rows(service: str) -> tuple[tuple[str, str], ...]:
    """The (protocol section, label) rows the published table of `service` shows, in its
    order: Table 3 for broadband (in row_order), Table 4 for mobile (in table_4_order)."""
    if service == "broadband":
        shown = [row for row in port_table_rows() if row.in_table_3]
    elif service == "mobile":
        shown = [row for row in port_table_rows() if row.in_table_4]
        if any(row.table_4_order is None for row in shown):
            raise ValueError("a row shown in Table 4 has no table_4_order")
        shown.sort(key=lambda row: row.table_4_order or 0)
    else:
        raise ValueError(f"unknown service {service!r}, expected one of {SERVICES}")
    return tuple((row.section, row.label) for row in shown)


@dataclass(frozen=True)
class ReferenceWeeks:
    """The analysis weeks the report compares (seed reference_weeks)."""

    comparison_weeks: Mapping[int, date]  # read-only; dict(...) for a copy
    seasonal_weeks: tuple[date, ...]
    pre_pandemic_week: date

    def all_weeks(self) -> list[date]:
        """Every week the report needs, oldest first, each once."""
        weeks = {*self.comparison_weeks.values(), *self.seasonal_weeks, self.pre_pandemic_week}
        return sorted(weeks)


@cache
def reference_weeks() -> ReferenceWeeks:
    """Comparison week per report year (oldest year first), seasonal weeks (oldest first) and
    the pre-pandemic week."""
    comparison: dict[int, date] = {}
    seasonal: list[date] = []
    pre_pandemic: list[date] = []
    for row in _rows("reference_weeks"):
        week = date.fromisoformat(str(row["week_start"]))
        role = row["role"]
        if role == "comparison":
            year = _int(row["report_year"])
            if year is None or year in comparison:
                raise ValueError(f"comparison week {week} needs its own report_year")
            comparison[year] = week
        elif role == "seasonal":
            seasonal.append(week)
        elif role == "pre_pandemic":
            pre_pandemic.append(week)
        else:
            raise ValueError(f"unknown role {role!r} of week {week}")
    if len(pre_pandemic) != 1:
        raise ValueError(f"expected one pre_pandemic week, found {len(pre_pandemic)}")
    return ReferenceWeeks(
        comparison_weeks=MappingProxyType(dict(sorted(comparison.items()))),
        seasonal_weeks=tuple(sorted(seasonal)),
        pre_pandemic_week=pre_pandemic[0],
    )
