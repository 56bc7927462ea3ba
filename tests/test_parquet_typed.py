"""Typed Parquet columns are read as they are, and give what their text would give.

A Parquet column whose type is of its raw column's kind (an integer port, a timestamp, a
boolean) skips the text round trip of CSV fields; every record must still be loaded or
quarantined exactly as if the file held the same values as text, and a rejected record
keeps its values as a JSON object, read back from its own file.
"""

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources.raw_schema import ASSIGNMENT_RECORDS, USAGE_COUNTERS
from dagster_project.sources.readers import FLOW_READERS, prepare_staging, quarantine, table_files
from dagster_project.sources.source_config import FlowSource, TableSource
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK = AnalysisWeek(date(2024, 6, 3), "Asia/Tokyo")
INSIDE = "timestamp '2024-06-04 12:00:00'"

# Each flow differs from a good one (first) in the named columns, as typed SQL values.
GOOD_FLOW = {
    "flow_start": INSIDE,
    "flow_end": "timestamp '2024-06-04 12:00:05'",
    "src_addr": "'10.0.0.1'",
    "dst_addr": "'2001:db8::9'",
    "src_port": "50000::integer",
    "dst_port": "443::integer",
    "protocol": "6::smallint",
    "bytes": "1000::bigint",
    "packets": "2::ubigint",
    "sampling_interval": "100::bigint",
    "counts_scaled": "false",
    "service": "'broadband'",
    "exporter": "'bras1'",
}
FLOW_CHANGES = (
    {},
    {"dst_port": "70000::integer"},  # invalid port
    {"src_port": "-1::integer"},  # invalid port
    {"protocol": "300::smallint"},  # unknown protocol
    {"bytes": "0::bigint"},  # non-positive counts
    {"packets": "18446744073709551615::ubigint"},  # beyond BIGINT
    {"sampling_interval": "2147483648::bigint"},  # beyond INTEGER
    {"bytes": "4611686018427387904::bigint", "sampling_interval": "4::bigint"},  # x overflows
    {"counts_scaled": "null::boolean"},  # malformed
    {"flow_start": "null::timestamp"},  # missing
    {"flow_start": "timestamp '2024-06-02 00:00:00'"},  # before the week (in Tokyo)
    {"flow_end": "timestamp '2024-06-04 11:00:00'"},  # ends before it starts
    {"flow_start": "timestamp '2024-06-03 00:30:00'", "flow_end": INSIDE},  # 30 min into it
    {"counts_scaled": "true", "sampling_interval": "1::bigint"},
)


def write_parquet(path: Path, rows: list[dict[str, str]]) -> Path:
    """A Parquet file of `rows` (SQL values by column)."""
    select = " union all ".join(
        "select " + ", ".join(f"{value} as {name}" for name, value in row.items()) for row in rows
    )
    with duckdb.connect() as con:
        con.execute(f"copy ({select}) to '{path}' (format parquet)")
    return path


def as_text(path: Path) -> Path:
    """A copy of a Parquet file with every column as the text of its values."""
    text = path.with_name(f"text-{path.name}")
    with duckdb.connect() as con:
        columns = [name for name, *_ in con.execute(f"describe from '{path}'").fetchall()]
        cast = ", ".join(f"{name}::varchar as {name}" for name in columns)
        con.execute(f"copy (select {cast} from '{path}') to '{text}' (format parquet)")
    return text


def flows(changes: tuple[dict[str, str], ...], **typed: str) -> list[dict[str, str]]:
    return [{**GOOD_FLOW, **typed, **change} for change in changes]


def staged_flows(paths: list[Path], timezone: str = "Asia/Tokyo") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    prepare_staging(con)
    source = FlowSource(name="canon", format="canonical_parquet", path="", timezone=timezone)
    for path in paths:
        FLOW_READERS["canonical_parquet"](con, source, path, WEEK)
    return con


def outcome(con: duckdb.DuckDBPyConnection, staged: str) -> tuple[list[tuple], list[tuple]]:
    """The staged rows without their file, and the quarantine's rows and reasons."""
    rows = con.execute(f"select * exclude (source_file) from {staged} order by all").fetchall()
    rejected = con.execute(
        "select source_row, reason from staged_quarantine order by source_row"
    ).fetchall()
    return rows, rejected


@pytest.mark.parametrize(
    "timestamps",
    [{}, {"flow_start": f"({INSIDE})::timestamptz", "flow_end": f"({INSIDE})::timestamptz"}],
    ids=["naive", "zoned"],
)
def test_typed_flow_columns_give_what_their_text_gives(tmp_path: Path, timestamps):
    path = write_parquet(tmp_path / "flows.parquet", flows(FLOW_CHANGES, **timestamps))
    typed = outcome(staged_flows([path]), "staged_flows")
    assert typed == outcome(staged_flows([as_text(path)]), "staged_flows")
    loaded, rejected = typed
    assert len(loaded) + len(rejected) == len(FLOW_CHANGES)
    assert {reason for _, reason in rejected} == {
        "invalid port",
        "unknown protocol",
        "unparseable counts",
        "non-positive counts",
        "invalid sampling interval",
        "bytes x sampling interval exceeds 64 bits",
        "malformed record: counts_scaled is not a boolean",
        "missing or unparseable timestamp",
        "outside the partition week",
        "flow ends before it starts",
    }


def test_a_rejected_typed_record_keeps_its_own_values(tmp_path: Path):
    first = write_parquet(tmp_path / "a.parquet", flows(({}, {"dst_port": "70000::integer"})))
    second = write_parquet(
        tmp_path / "b.parquet",
        flows(({"protocol": "300::smallint", "exporter": "'bras2'"}, {}, {})),
    )
    con = staged_flows([first, second])
    quarantined = con.execute(
        "select source_file, source_row, record from staged_quarantine order by source_file"
    ).fetchall()
    assert [(Path(file).name, row) for file, row, _ in quarantined] == [
        ("a.parquet", 2),
        ("b.parquet", 1),
    ]
    records = [json.loads(record) for *_, record in quarantined]
    assert records[0]["dst_port"] == 70000 and records[0]["exporter"] == "bras1"
    assert records[1]["protocol"] == 300 and records[1]["exporter"] == "bras2"
    assert records[0]["flow_start"] == "2024-06-04 12:00:00"
    assert con.execute("select count(*) from staged_flows").fetchone() == (3,)


ASSIGNMENTS = [
    {"subscriber_id": "'s1'", "service": "'broadband'", "access": "'pppoe'",
     "customer_class": "'personal'", "address": "'10.0.0.1'",
     "valid_from": "timestamp '2024-06-01 00:00:00'", "valid_to": "null::timestamp"},
    {"subscriber_id": "'s2'", "service": "'broadband'", "access": "'ipoe'",
     "customer_class": "'personal'", "address": "'2001:db8:1::/56'",
     "valid_from": "timestamp '2024-06-04 00:00:00'",
     "valid_to": "timestamp '2024-06-05 00:00:00'"},
    {"subscriber_id": "'s3'", "service": "'broadband'", "access": "'pppoe'",
     "customer_class": "'personal'", "address": "'10.0.0.3'",
     "valid_from": "timestamp '2024-06-05 00:00:00'",
     "valid_to": "timestamp '2024-06-04 00:00:00'"},
]  # fmt: skip
COUNTERS = [
    {"subscriber_id": "'m1'", "service": "'mobile'", "access": "'mobile'",
     "customer_class": "'personal'", "day": "date '2024-06-04'", "bytes_in": "100::bigint",
     "bytes_out": "200::ubigint"},
    {"subscriber_id": "'m2'", "service": "'mobile'", "access": "'mobile'",
     "customer_class": "'personal'", "day": "date '2024-06-05'", "bytes_in": "-1::bigint",
     "bytes_out": "18446744073709551615::ubigint"},
    {"subscriber_id": "'m3'", "service": "'mobile'", "access": "'mobile'",
     "customer_class": "'personal'", "day": "date '2024-06-11'", "bytes_in": "1::bigint",
     "bytes_out": "2::bigint"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("table", "rows", "reasons"),
    [
        (ASSIGNMENT_RECORDS, ASSIGNMENTS, {3: "assignment ends before it starts"}),
        (USAGE_COUNTERS, COUNTERS, {2: "unparseable counts", 3: "outside the partition week"}),
    ],
    ids=["assignments", "usage_counters"],
)
def test_typed_table_columns_give_what_their_text_gives(tmp_path: Path, table, rows, reasons):
    source = TableSource(name="tables", format="parquet", path="", timezone="Asia/Tokyo")
    typed = write_parquet(tmp_path / f"{table.name}.parquet", rows)
    results = []
    for path in (typed, as_text(typed)):
        with duckdb.connect() as con:
            prepare_staging(con)
            table_files.stage_week_table(con, table, source, path, WEEK)
            results.append(outcome(con, f"staged_{table.name}"))
            records = con.execute("select record from staged_quarantine").fetchall()
        assert all(json.loads(record)["subscriber_id"] for (record,) in records)
    assert results[0] == results[1]
    assert dict(results[0][1]) == reasons


def test_a_bad_typed_monthly_total_is_named_with_its_record(tmp_path: Path):
    good = {"month": "date '2024-06-01'", "service": "'mobile'", "access": "'mobile'",
            "direction": "'IN'", "bytes": "5::bigint"}  # fmt: skip
    path = write_parquet(tmp_path / "totals.parquet", [good, {**good, "bytes": "-5::bigint"}])
    source = TableSource(name="totals", format="parquet", path="")
    with duckdb.connect() as con, pytest.raises(table_files.BadRowError) as refused:
        prepare_staging(con)
        table_files.stage_monthly_totals(con, source, path)
    assert "row 2: negative counts" in str(refused.value)
    assert json.loads(str(refused.value).split(": ", 2)[2])["bytes"] == -5


def test_clean_files_are_staged_in_one_write_and_rejected_rows_read_again_alone(
    tmp_path: Path, monkeypatch
):
    """A file whose rows all pass goes straight to the staged flows, and so do the good rows
    of one with a rejected row, which is read again for that row alone: no file is held
    whole in the checked table."""

    def not_expected(*_args, **_kwargs):
        raise AssertionError("a Parquet file was staged through the checked table")

    monkeypatch.setattr(quarantine, "stage_parsed_flows", not_expected)
    clean = write_parquet(tmp_path / "a.parquet", flows(({}, {"bytes": "7::bigint"})))
    rejected = write_parquet(tmp_path / "b.parquet", flows(({}, {"protocol": "300::smallint"})))
    con = staged_flows([clean, rejected])
    files = con.execute(
        "select source_file, count(*) from staged_flows group by all order by all"
    ).fetchall()
    assert [(Path(file).name, rows) for file, rows in files] == [("a.parquet", 2), ("b.parquet", 1)]
    quarantined = con.execute(
        "select source_file, source_row, reason, record from staged_quarantine"
    )
    ((file, row, reason, record),) = quarantined.fetchall()
    assert (Path(file).name, row, reason) == ("b.parquet", 2, "unknown protocol")
    assert json.loads(record)["protocol"] == 300
