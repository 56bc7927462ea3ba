"""Data exports of a page: tables and figure frames as files, listed in index.json, the same
frames always giving the same bytes and no subscriber key or address leaving the warehouse."""

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from dagster_project.reference.seeds import published_port_rows
from dagster_project.report import exports, tables
from dagster_project.report.catalogue import item
from dagster_project.report.week_page import WEEK_MARTS, week_exports
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS
from tests import report_frames as frames

WEEK = date(2024, 6, 3)
PORTS = item("table_3_broadband_ports")
SCATTER = item("figure_05_user_scatter_broadband")
DENSITY = item("figure_03_usage_density_broadband")


def port_table() -> tables.ReportTable:
    usage = frames.port_usage_by_year(COMPARISON_WEEKS)
    broadband = usage[usage["service"] == "broadband"]
    return tables.port_table(PORTS.name, PORTS.title, broadband, published_port_rows("broadband"))


def scatter_frame() -> pd.DataFrame:
    """user_sample rows as DuckDB returns them: dates as timestamps, a subscriber key."""
    sample = frames.user_sample(50)
    return sample.assign(
        week_start=pd.Timestamp(WEEK),
        service="broadband",
        access="pppoe",
        subscriber_id=[f"hash-{rank:04d}" for rank in sample["sample_rank"]],
    )


def items() -> list[exports.ExportItem]:
    density = frames.usage_distribution().assign(direction_weight=0.1)
    return [
        exports.table_export(PORTS, port_table()),
        exports.ExportItem(SCATTER, scatter_frame()),
        exports.ExportItem(DENSITY, density),
    ]


@pytest.fixture
def written(tmp_path) -> exports.Exports:
    return exports.write_exports(tmp_path / "2024-06-03-data", "2024-06-03.html", items())


def index_of(written: exports.Exports) -> dict:
    return json.loads(written.index.read_text())


def test_the_folder_sits_next_to_the_page():
    page = Path("assets/report/weeks/2024-06-03.html")
    assert exports.export_folder(page) == Path("assets/report/weeks/2024-06-03-data")


def test_a_table_is_exported_as_shown_with_numbers_as_numbers():
    table = port_table()
    frame = exports.table_export(PORTS, table).frame
    assert list(frame.columns) == [exports.POSITION, *table.header]
    assert frame[exports.POSITION].tolist() == list(range(1, len(table.rows) + 1))
    assert frame["protocol port"].tolist() == [row[0] for row in table.rows]
    assert frame["2024 (%)"].tolist() == [float(row[-1]) for row in table.rows]


def test_grouped_headers_are_flattened_and_missing_cells_are_empty():
    table = tables.ReportTable(
        "t",
        "T",
        ("Year", "Mean", "Mean"),
        (("2023", "1.5", "-"), ("2024", "2.5", "3.0")),
        column_groups=(("", 1), ("IN", 1), ("OUT", 1)),
    )
    frame = exports.table_export(item("table_1_broadband_usage"), table).frame
    assert list(frame.columns) == [exports.POSITION, "Year", "IN Mean", "OUT Mean"]
    assert frame["OUT Mean"].isna().tolist() == [True, False]
    assert exports.column_type(frame["Year"]) == "integer"


def test_index_lists_every_file_with_columns_marts_and_page(written, tmp_path):
    index = index_of(written)
    assert index["page"] == "2024-06-03.html"
    assert [entry["file"] for entry in index["files"]] == [
        "figure_03_usage_density_broadband.csv",
        "figure_05_user_scatter_broadband.csv",
        "table_3_broadband_ports.csv",
        "table_3_broadband_ports.parquet",
    ]
    assert written.files == tuple(entry["file"] for entry in index["files"])
    by_file = {entry["file"]: entry for entry in index["files"]}
    scatter = by_file["figure_05_user_scatter_broadband.csv"]
    assert scatter["marts"] == ["user_sample"] and scatter["kind"] == "figure"
    assert scatter["title"] == SCATTER.title and scatter["rows"] == 50
    assert {column["name"]: column["type"] for column in scatter["columns"]} == {
        "sample_rank": "integer",
        "daily_bytes_out": "float",
        "daily_bytes_in": "float",
        "week_start": "date",
        "service": "string",
        "access": "string",
    }
    ports = by_file["table_3_broadband_ports.parquet"]
    assert ports["marts"] == ["port_usage_by_year"] and ports["format"] == "parquet"
    for entry in index["files"]:
        path = written.index.parent / entry["file"]
        frame = pd.read_csv(path) if entry["format"] == "csv" else pd.read_parquet(path)
        assert list(frame.columns) == [column["name"] for column in entry["columns"]]
        assert len(frame) == entry["rows"]
    text = written.index.read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert str(tmp_path) not in text


def test_no_subscriber_key_or_address_is_exported(written):
    csv = (written.index.parent / "figure_05_user_scatter_broadband.csv").read_text()
    assert "subscriber_id" not in csv and "hash-0001" not in csv
    (scatter,) = [e for e in index_of(written)["files"] if e["item"] == SCATTER.name]
    assert scatter["withheld_columns"] == ["subscriber_id"]
    frame = pd.DataFrame({"src_address": ["10.0.0.1"], "prefix": ["10.0.0.0/24"], "bytes": [1]})
    assert exports.withheld_columns(frame) == ["src_address", "prefix"]
    assert list(exports.normalized(frame).columns) == ["bytes"]


def test_the_same_frames_give_the_same_bytes_whatever_their_row_order(written, tmp_path):
    first = {path.name: path.read_bytes() for path in written.index.parent.iterdir()}
    shuffled = [
        exports.ExportItem(entry.entry, entry.frame.sample(frac=1, random_state=3))
        for entry in items()
    ]
    again = exports.write_exports(tmp_path / "again", "2024-06-03.html", shuffled)
    second = {path.name: path.read_bytes() for path in again.index.parent.iterdir()}
    assert second == first
    csv = first["figure_05_user_scatter_broadband.csv"].decode()
    assert "\r" not in csv and csv.endswith("\n")
    assert csv.splitlines()[1].startswith("1,")  # rows sorted: sample_rank 1 first


def test_parquet_holds_the_frame_and_no_pandas_metadata(written):
    path = written.index.parent / "table_3_broadband_ports.parquet"
    import pyarrow.parquet as pq

    assert b"pandas" not in (pq.read_schema(path).metadata or {})
    frame = pd.read_parquet(path)
    expected = exports.table_export(PORTS, port_table()).frame
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)


def test_a_second_export_removes_files_no_longer_on_the_page(written):
    folder = written.index.parent
    again = exports.write_exports(folder, "2024-06-03.html", items()[:1])
    assert sorted(path.name for path in folder.iterdir()) == sorted([*again.files, "index.json"])


def test_the_week_page_exports_each_table_and_figure_frame():
    marts = frames.hand_built_marts(COMPARISON_WEEKS, [WEEK])
    week = {
        name: marts[name][pd.to_datetime(marts[name]["week_start"]).dt.date == WEEK]
        for name in WEEK_MARTS
        if name in marts
    }
    exported = {entry.entry.name: entry for entry in week_exports(str(WEEK), week)}
    assert {"week_usage", "week_ports_broadband", "week_user_scatter_mobile"} <= set(exported)
    hours = exported["week_port_hours_mobile"].frame
    assert set(hours["bucket"]) == {"total", "TCP 443", "TCP 80", "UDP 443"}
    usage = exported["week_usage"].frame
    assert usage["Service"].tolist() == ["broadband", "mobile"]
