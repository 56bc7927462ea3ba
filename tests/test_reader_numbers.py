"""Times and numbers the readers used to get silently wrong, each reproduced as it failed.

Time zones: a zone-aware timestamp keeps its zone whatever the host's or DuckDB's session
zone; numbers: non-integers, 64-bit overflow of bytes x sampling interval, sampling rates
beyond 32 bits and a line that is not UTF-8 are quarantined with their reason.
"""

import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources.raw_schema import ASSIGNMENT_RECORDS, USAGE_COUNTERS
from dagster_project.sources.readers import FLOW_READERS, canonical, prepare_staging, table_files
from dagster_project.sources.readers.encoding import NOT_UTF8
from dagster_project.sources.readers.quarantine import FileCounts
from dagster_project.sources.source_config import FlowSource, TableSource
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK = AnalysisWeek(date(2024, 6, 3), "Asia/Tokyo")
OVERFLOW = "bytes x sampling interval exceeds 64 bits"
START_NS = 1717502400 * 10**9  # 2024-06-04 12:00 UTC


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    prepare_staging(con)
    return con


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return connect()


@pytest.fixture
def tokyo_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process runs in TZ=Asia/Tokyo, as a collector host in Japan would."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def quarantined(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute(
        "select source_row, reason from staged_quarantine order by source_row"
    ).fetchall()


def canonical_csv(path: Path, *rows: dict[str, str]) -> Path:
    """A canonical CSV file of good records, each changed as `rows` say."""
    good = {
        "flow_start": "2024-06-04 12:00:00",
        "flow_end": "2024-06-04 12:00:05",
        "src_addr": "10.0.0.1",
        "dst_addr": "192.0.2.9",
        "src_port": "50000",
        "dst_port": "443",
        "protocol": "6",
        "bytes": "1000",
        "packets": "2",
        "sampling_interval": "100",
        "counts_scaled": "false",
        "service": "broadband",
        "exporter": "bras1",
    }
    lines = [",".join(canonical.COLUMNS)]
    lines += [",".join({**good, **row}[name] for name in canonical.COLUMNS) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def goflow2_line(**fields: object) -> str:
    record = {
        "sampling_rate": 1000,
        "sampler_address": "192.0.2.1",
        "time_flow_start_ns": START_NS,
        "time_flow_end_ns": START_NS + 10**9,
        "bytes": 1500,
        "packets": 1,
        "src_addr": "10.0.0.1",
        "dst_addr": "192.0.2.9",
        "proto": 17,
        "src_port": 51820,
        "dst_port": 51820,
        **fields,
    }
    return "{" + ",".join(f'"{key}":{_json(value)}' for key, value in record.items()) + "}"


def _json(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def read_canonical(con: duckdb.DuckDBPyConnection, path: Path, timezone: str = "UTC") -> None:
    source = FlowSource(
        name="canon", format=f"canonical_{path.suffix[1:]}", path="", timezone=timezone
    )
    FLOW_READERS[source.format](con, source, path, WEEK)


# --- Item 5: time zones -----------------------------------------------------------------


def test_tz_aware_parquet_is_not_shifted_by_the_host_zone(tokyo_host, tmp_path: Path):
    """Was: DuckDB rendered the column in the host's zone (+09) and the offset was dropped,
    so 01:00 UTC loaded as 10:00."""
    con = connect()
    assert con.execute("select current_setting('TimeZone')").fetchone() == ("Asia/Tokyo",)
    path = tmp_path / "flows.parquet"
    con.execute(
        "copy (select timestamptz '2024-06-04 01:00:00+00' as flow_start, "
        "timestamptz '2024-06-04 01:00:05+00' as flow_end, '10.0.0.1' as src_addr, "
        "'192.0.2.9' as dst_addr, 50000 as src_port, 443 as dst_port, 6 as protocol, "
        "1000 as bytes, 2 as packets, 100 as sampling_interval, false as counts_scaled, "
        f"'broadband' as service, 'bras1' as exporter) to '{path}' (format parquet)"
    )
    read_canonical(con, path)  # naive times would be UTC
    assert con.execute("select flow_start, flow_end from staged_flows").fetchall() == [
        (datetime(2024, 6, 4, 1), datetime(2024, 6, 4, 1, 0, 5))
    ]


def test_canonical_csv_keeps_the_offset_of_its_timestamps(con, tmp_path: Path):
    """Was: `2024-06-04 01:00:00+09:00` loaded as 01:00 UTC, its offset lost."""
    path = canonical_csv(
        tmp_path / "flows.csv",
        {"flow_start": "2024-06-04 01:00:00+09:00", "flow_end": "2024-06-04T01:00:05+09:00"},
        {"flow_start": "2024-06-04 01:00:00 Asia/Tokyo", "flow_end": "2024-06-03T16:00:05Z"},
        {"flow_start": "2024-06-04 01:00:00", "flow_end": "2024-06-04 01:00:05"},
    )
    read_canonical(con, path, timezone="Asia/Tokyo")
    tokyo_one_am = (datetime(2024, 6, 3, 16), datetime(2024, 6, 3, 16, 0, 5))
    assert (
        con.execute("select flow_start, flow_end from staged_flows").fetchall()
        == [tokyo_one_am] * 3
    )


@pytest.mark.parametrize("session_zone", ["UTC", "Asia/Tokyo", "America/St_Johns"])
def test_readers_do_not_depend_on_duckdb_session_time_zone(session_zone: str, tmp_path: Path):
    """DuckDB's TimeZone setting defaults from the host; no reader may follow it."""
    con = connect()
    con.execute(f"set TimeZone = '{session_zone}'")
    read_canonical(con, canonical_csv(tmp_path / "flows.csv", {}), timezone="Asia/Tokyo")
    goflow2 = tmp_path / "goflow2.json"
    goflow2.write_text(
        goflow2_line(
            time_flow_start_ns="2024-06-04T21:00:00", time_flow_end_ns="2024-06-04T21:00:01"
        )
        + "\n"
    )
    source = FlowSource(name="gf", format="goflow2_json", path="", timezone="Asia/Tokyo")
    FLOW_READERS["goflow2_json"](con, source, goflow2, WEEK)
    assignments = tmp_path / "assignments.csv"
    assignments.write_text(
        "subscriber_id,service,access,customer_class,address,valid_from,valid_to\n"
        "s1,broadband,pppoe,personal,10.0.0.1,2024-06-01 09:00:00,\n"
    )
    table_source = TableSource(name="radius", format="csv", path="", timezone="Asia/Tokyo")
    table_files.stage_week_table(con, ASSIGNMENT_RECORDS, table_source, assignments, WEEK)
    assert con.execute("select flow_start from staged_flows order by source_file").fetchall() == [
        (datetime(2024, 6, 4, 3),),  # canonical 12:00 Tokyo
        (datetime(2024, 6, 4, 12),),  # GoFlow2 21:00 Tokyo
    ]
    assert con.execute("select valid_from from staged_assignments").fetchall() == [
        (datetime(2024, 6, 1),)
    ]


# --- Item 6: numbers --------------------------------------------------------------------


def test_non_integer_port_and_counts_are_quarantined_not_rounded(con, tmp_path: Path):
    """Was: port `443.5` loaded as 444 and a count of `1.5` as 2."""
    path = canonical_csv(
        tmp_path / "flows.csv",
        {"dst_port": "443.5"},
        {"packets": "1.5"},
        {"bytes": "1e3"},
        {"dst_port": "443.0"},  # a float column's whole number stays what it is
    )
    read_canonical(con, path)
    assert con.execute("select dst_port, packets from staged_flows").fetchall() == [(443, 2)]
    assert quarantined(con) == [
        (2, "invalid port"),
        (3, "unparseable counts"),
        (4, "unparseable counts"),
    ]
    counters = tmp_path / "counters.csv"
    counters.write_text(
        "subscriber_id,service,access,customer_class,day,bytes_in,bytes_out\n"
        "m1,mobile,mobile,personal,2024-06-04,1.5,100\n"
    )
    source = TableSource(name="billing", format="csv", path="")
    table_files.stage_week_table(con, USAGE_COUNTERS, source, counters, WEEK)
    assert con.execute(
        "select source_row, reason from staged_quarantine where source = 'usage_counters'"
    ).fetchall() == [(2, "unparseable counts")]


def test_bytes_times_sampling_overflow_is_quarantined_at_load(con, tmp_path: Path):
    """Was: loaded, then stg_flows' BIGINT multiplication failed the week naming no record."""
    path = canonical_csv(
        tmp_path / "flows.csv",
        {"bytes": str(2**53), "sampling_interval": "1024"},
        {"bytes": str(2**53), "sampling_interval": "1024", "counts_scaled": "true"},
        {"bytes": str(2**40), "sampling_interval": "1024"},
    )
    read_canonical(con, path)
    assert quarantined(con) == [(2, OVERFLOW)]
    # What stg_flows computes now works on every loaded record.
    assert con.execute(
        "select sum(case when counts_scaled then bytes else bytes * sampling_interval end) "
        "from staged_flows"
    ).fetchone() == (2**53 + 2**50,)


def test_goflow2_sampling_rate_beyond_32_bits_is_one_record_not_the_file(con, tmp_path: Path):
    """Was: the cast to INTEGER failed the whole file."""
    path = tmp_path / "goflow2.json"
    lines = [goflow2_line(), goflow2_line(sampling_rate=2**32), goflow2_line(sampling_rate=-4)]
    path.write_text("\n".join(lines) + "\n")
    source = FlowSource(name="gf", format="goflow2_json", path="", sampling_interval=64)
    counts = FLOW_READERS["goflow2_json"](con, source, path, WEEK)
    assert counts == FileCounts(str(path), rows=1, quarantined={"invalid sampling interval": 2})
    assert quarantined(con) == [(2, "invalid sampling interval"), (3, "invalid sampling interval")]


def test_sampling_interval_beyond_32_bits_has_the_right_reason(con, tmp_path: Path):
    """Was: 2147483648 failed the INTEGER cast and was reported as 'sampling rate 0'."""
    path = canonical_csv(
        tmp_path / "flows.csv",
        {"sampling_interval": str(2**31)},
        {"sampling_interval": "1.5"},
    )
    read_canonical(con, path)
    assert quarantined(con) == [
        (2, "invalid sampling interval"),
        (3, "malformed record: sampling_interval is not a whole number"),
    ]


@pytest.mark.parametrize("reader", ["canonical_csv", "nfdump_csv", "assignments"])
def test_a_line_that_is_not_utf8_is_quarantined_and_the_rest_loads(
    reader: str, con, tmp_path: Path
):
    """Was: DuckDB refused the whole file ("Invalid unicode"), failing the week."""
    if reader == "canonical_csv":
        path = canonical_csv(tmp_path / "flows.csv", {}, {"exporter": "BAD"}, {}, {})
        source = FlowSource(name="canon", format="canonical_csv", path="")
    elif reader == "nfdump_csv":
        path = tmp_path / "nfdump.csv"
        line = "2024-06-04 12:00:00.000,1.000,6,10.0.0.1,40000,192.0.2.9,443,3,{},1"
        header = "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows"
        path.write_text(
            "\n".join([header, *(line.format(b) for b in ("1", "BAD", "3", "4"))]) + "\n"
        )
        source = FlowSource(name="nf", format="nfdump_csv", path="", counts_scaled=True)
    else:
        path = tmp_path / "assignments.csv"
        row = "s{},broadband,pppoe,personal,10.0.0.1,2024-06-01 00:00:00,"
        header = "subscriber_id,service,access,customer_class,address,valid_from,valid_to"
        path.write_text(
            "\n".join([header, *(row.format(s) for s in ("1", "BAD", "3", "4"))]) + "\n"
        )
    path.write_bytes(path.read_bytes().replace(b"BAD", b"caf\xe9"))  # latin-1, not UTF-8
    if reader == "assignments":
        table_source = TableSource(name="radius", format="csv", path="")
        counts = table_files.stage_week_table(con, ASSIGNMENT_RECORDS, table_source, path, WEEK)
    else:
        counts = FLOW_READERS[source.format](con, source, path, WEEK)
    assert counts == FileCounts(str(path), rows=3, quarantined={NOT_UTF8: 1})
    assert con.execute(
        "select source_file, source_row, reason, record from staged_quarantine"
    ).fetchall() == [
        (
            str(path),
            3,
            NOT_UTF8,
            path.read_bytes().splitlines()[2].decode("utf-8", "backslashreplace"),
        )
    ]
    if reader != "assignments":
        rows = con.execute("select source_file, source_row from staged_flows order by 2").fetchall()
        assert rows == [(str(path), 2), (str(path), 4), (str(path), 5)]
