"""Data exports next to a report page: every table as CSV and Parquet, the data behind every
figure as CSV, and an `index.json` naming each file, its columns and the marts it came from.

Pure: frames go in, files come out. The same frames always give the same bytes: columns in a
fixed order, rows sorted, floats formatted with `FLOAT_FORMAT`, `\\n` line ends, and Parquet
files without the pandas metadata (which names the pandas version) or any timestamp.
Subscriber keys and addresses never leave the warehouse: their columns are withheld.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.report.catalogue import ReportItem
from dagster_project.report.tables import ReportTable

INDEX_FILE = "index.json"
# Twelve significant digits: more than any volume or share here is known to, and stable.
FLOAT_FORMAT = "%.12g"
# What a table shows for a value the mart does not have (tables.format_number).
MISSING_CELL = "-"
# A table's rows in the order shown: the first column of its export.
POSITION = "position"
# Columns that identify a subscriber (the pseudonymous key) or an address: never exported.
PRIVATE_COLUMN = re.compile(r"subscriber_id|.*address.*|.*prefix.*")
FORMATS = {"table": ("csv", "parquet"), "figure": ("csv",)}


@dataclass(frozen=True)
class ExportItem:
    """One table or figure of a page and the rows behind it: a table as shown (table_export),
    a figure's frame as its drawing function received it."""

    entry: ReportItem
    frame: pd.DataFrame


class Exports(NamedTuple):
    index: Path
    files: tuple[str, ...]  # the data files, relative to the index's folder


def export_folder(page: Path) -> Path:
    """Where a page's exports go: `<week>.html` -> `<week>-data/` next to it."""
    return page.with_name(f"{page.stem}-data")


def _as_numbers(cells: pd.Series) -> pd.Series:
    """A column of shown numbers as floats ('-' as missing); text columns stay text."""
    shown = cells != MISSING_CELL
    values = pd.to_numeric(cells.where(shown), errors="coerce")
    return values if values.notna().sum() == shown.sum() else cells


def table_export(entry: ReportItem, table: ReportTable) -> ExportItem:
    """The table as shown: its position, a column per header cell, numbers as floats."""
    frame = pd.DataFrame([list(row) for row in table.rows], columns=list(table.header))
    frame = frame.apply(_as_numbers)
    frame.insert(0, POSITION, range(1, len(frame) + 1))
    return ExportItem(entry, frame)


def withheld_columns(frame: pd.DataFrame) -> list[str]:
    return [column for column in frame.columns if PRIVATE_COLUMN.fullmatch(str(column))]


def _dates(column: pd.Series) -> pd.Series:
    """Timestamps at midnight (DuckDB's dates) as dates, so files say 2024-06-03."""
    if pd.api.types.is_datetime64_any_dtype(column):
        present = column.dropna()
        if (present == present.dt.normalize()).all():
            return column.dt.date.astype(object).where(column.notna(), None)
    return column


def normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as exported: private columns withheld, dates as dates, rows sorted by every
    column in order (a table by its position), a fresh index."""
    public = frame.drop(columns=withheld_columns(frame)).apply(_dates)
    if public.columns.empty:
        return public.reset_index(drop=True)
    ordered = public.sort_values(list(public.columns), kind="mergesort", na_position="last")
    return ordered.reset_index(drop=True)


def column_type(column: pd.Series) -> str:
    """A type every consumer understands: boolean, integer, float, date, timestamp, string."""
    if pd.api.types.is_bool_dtype(column):
        return "boolean"
    if pd.api.types.is_integer_dtype(column):
        return "integer"
    if pd.api.types.is_float_dtype(column):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(column):
        return "timestamp"
    if pd.api.types.infer_dtype(column, skipna=True) == "date":
        return "date"
    return "string"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(
        path, index=False, lineterminator="\n", float_format=FLOAT_FORMAT, encoding="utf-8"
    )


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(None), path)


WRITERS = {"csv": write_csv, "parquet": write_parquet}


def _clear(folder: Path) -> None:
    """Remove a previous export, so a file no longer on the page does not linger."""
    for path in folder.glob("*"):
        if path.suffix in {".csv", ".parquet", ".json"}:
            path.unlink()


def write_exports(folder: Path, page: str, items: list[ExportItem]) -> Exports:
    """Write every item's files into `folder` and the `index.json` listing them for `page`."""
    folder.mkdir(parents=True, exist_ok=True)
    _clear(folder)
    listed = []
    for item in items:
        frame = normalized(item.frame)
        for extension in FORMATS[item.entry.kind]:
            name = f"{item.entry.name}.{extension}"
            WRITERS[extension](frame, folder / name)
            listed.append(
                {
                    "file": name,
                    "format": extension,
                    "item": item.entry.name,
                    "kind": item.entry.kind,
                    "title": item.entry.title,
                    "marts": list(item.entry.marts),
                    "rows": len(frame),
                    "columns": [
                        {"name": str(column), "type": column_type(frame[column])}
                        for column in frame.columns
                    ],
                    "withheld_columns": withheld_columns(item.frame),
                }
            )
    listed.sort(key=lambda entry: entry["file"])
    index = folder / INDEX_FILE
    content = json.dumps({"page": page, "files": listed}, indent=2, sort_keys=True)
    index.write_text(content + "\n", encoding="utf-8")
    return Exports(index, tuple(entry["file"] for entry in listed))
