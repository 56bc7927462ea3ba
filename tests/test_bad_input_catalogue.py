"""A catalogue of bad input, one file per kind, across every reader format.

Each file holds good records next to the bad ones; through its reader, every record is
accounted for (records in = loaded + quarantined) and every bad record is quarantined at
its row with the reason expected for it. nfcapd binary files are tested elsewhere
(tests/test_ingest_exporters.py, tests/test_ingest_traffic.py).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources.raw_schema import ASSIGNMENT_RECORDS, USAGE_COUNTERS
from dagster_project.sources.readers import FLOW_READERS, prepare_staging, table_files
from dagster_project.sources.readers.encoding import NOT_UTF8
from dagster_project.sources.readers.quarantine import FileCounts
from dagster_project.sources.source_config import FlowSource, TableSource
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK_START = date(2024, 6, 3)
WEEK_TIMEZONE = "Asia/Tokyo"
TABLES = {"assignments": ASSIGNMENT_RECORDS, "usage_counters": USAGE_COUNTERS}
NOON = "2024-06-04 12:00:00"  # inside the week, in UTC
NOON_NS = 1717502400 * 10**9
NOT_UTF8_MARK = "<not utf-8>"  # written as the Latin-1 byte of 'é'

# --- one good record per format; a bad record changes some of its fields ----------------

LEGACY_HEADER = (
    "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,"
    "nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,"
    "mpls9,mpls10,cl,sl,al,ra,eng,exid,tr"
)
LEGACY_NAMES = LEGACY_HEADER.split(",")
LEGACY_GOOD = {
    **dict.fromkeys(LEGACY_NAMES, "0"),
    **{"ts": NOON, "te": NOON, "td": "1.000", "sa": "10.0.0.1", "da": "192.0.2.9"},
    **{"sp": "40000", "dp": "443", "pr": "TCP", "flg": "........", "ipkt": "2"},
    **{"ibyt": "1200", "ra": "192.0.2.1", "tr": "2024-06-04 12:00:00.000"},
}
CURRENT_NAMES = "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows"
CURRENT_GOOD = dict(
    zip(
        CURRENT_NAMES.split(","),
        [f"{NOON}.000", "1.000", "6", "10.0.0.1", "40000", "192.0.2.9", "443", "2", "1200", "1"],
        strict=True,
    )
)
GOFLOW2_GOOD = {
    "type": "IPFIX", "sampling_rate": 1000, "sampler_address": "192.0.2.1",
    "time_flow_start_ns": NOON_NS, "time_flow_end_ns": NOON_NS + 10**9, "bytes": 1500,
    "packets": 1, "src_addr": "10.0.0.1", "dst_addr": "192.0.2.9", "etype": "IPv4",
    "proto": 17, "src_port": 51820, "dst_port": 51820,
}  # fmt: skip
PMACCT_GOOD = {
    "ip_src": "10.0.0.1", "ip_dst": "192.0.2.9", "port_src": 40000, "port_dst": 443,
    "ip_proto": "tcp", "packets": 2, "bytes": 1200, "timestamp_start": "1717502400.000000",
    "peer_ip_src": "192.0.2.1",
}  # fmt: skip
PMACCT_CSV_GOOD = {
    "SRC_IP": "10.0.0.1", "DST_IP": "192.0.2.9", "SRC_PORT": "40000", "DST_PORT": "443",
    "PROTOCOL": "tcp", "TIMESTAMP_START": "1717502400.000000", "PACKETS": "2",
    "BYTES": "1200", "SAMPLING_RATE": "10",
}  # fmt: skip
CANONICAL_GOOD = {
    "flow_start": NOON, "flow_end": "2024-06-04 12:00:05", "src_addr": "10.0.0.1",
    "dst_addr": "192.0.2.9", "src_port": "50000", "dst_port": "443", "protocol": "6",
    "bytes": "1000", "packets": "2", "sampling_interval": "100", "counts_scaled": "false",
    "service": "broadband", "exporter": "bras1",
}  # fmt: skip
# The same record as SQL expressions, for Parquet files written by DuckDB.
PARQUET_GOOD = {
    **{name: f"'{value}'" for name, value in CANONICAL_GOOD.items()},
    **{"flow_start": f"timestamp '{NOON}'", "flow_end": "timestamp '2024-06-04 12:00:05'"},
    **{"src_port": "50000", "dst_port": "443", "protocol": "6", "bytes": "1000"},
    **{"packets": "2", "sampling_interval": "100", "counts_scaled": "false"},
}
ASSIGNMENT_GOOD = {
    "subscriber_id": "s1", "service": "broadband", "access": "pppoe",
    "customer_class": "personal", "address": "10.0.0.1", "valid_from": "2024-06-01 00:00:00",
    "valid_to": "",
}  # fmt: skip
COUNTER_GOOD = {
    "subscriber_id": "m1", "service": "mobile", "access": "mobile",
    "customer_class": "personal", "day": "2024-06-04", "bytes_in": "100", "bytes_out": "200",
}  # fmt: skip


def csv_text(good: dict[str, str], *changes: dict[str, str], header: bool = True) -> str:
    """A header and one line per record: the good record with each record's changes."""
    lines = [",".join(good)] if header else []
    lines += [",".join({**good, **change}.values()) for change in changes]
    return "\n".join(lines) + "\n"


def json_text(good: dict[str, object], *changes: dict[str, object]) -> str:
    return "".join(json.dumps({**good, **change}) + "\n" for change in changes)


def parquet_sql(*changes: dict[str, str]) -> str:
    """The SELECT whose rows the Parquet file holds."""
    return " union all ".join(
        "select " + ", ".join(f"{value} as {name}" for name, value in {**PARQUET_GOOD, **c}.items())
        for c in changes
    )


@dataclass(frozen=True)
class Case:
    """One kind of bad input: a file for one reader, and what must become of its records."""

    kind: str
    reader: str  # a flow format of sources.yaml, or the table it fills
    suffix: str
    content: str  # the file's text; for Parquet, the SELECT of its rows
    records: int
    bad: dict[int, str]  # source row -> reason
    settings: dict[str, object] = field(default_factory=dict)
    starts: tuple[datetime, ...] = ()  # flow_start of the loaded records, when it matters
    refused: str | None = None  # the error of a file that cannot be read at all


NFDUMP = {"counts_scaled": True}
UNSCALED_NFDUMP = {"counts_scaled": False, "sampling_interval": 1024}
LEGACY_ONLY_HEADER = LEGACY_HEADER + "\nSummary\nflows,bytes,packets\n0,0,0\n"

CASES = (
    Case("non-integer port", "nfdump_csv", "csv",
         csv_text(LEGACY_GOOD, {}, {"dp": "443.5"}), 2, {3: "invalid port"}, NFDUMP),
    Case("unknown protocol name", "nfdump_csv", "csv",
         csv_text(LEGACY_GOOD, {}, {"pr": "BOGUS"}), 2, {3: "unknown protocol"}, NFDUMP),
    Case("bidirectional record", "nfdump_csv", "csv",
         csv_text(LEGACY_GOOD, {}, {"opkt": "5"}), 2,
         {3: "bidirectional record (out counters set)"}, NFDUMP),
    Case("ragged CSV row (truncated last line)", "nfdump_csv", "csv",
         csv_text(LEGACY_GOOD, {}) + f"{NOON},{NOON},1.0\n", 2,
         {3: "malformed record: expected 48 fields"}, NFDUMP),
    Case("header and Summary block only", "nfdump_csv", "csv", LEGACY_ONLY_HEADER, 0, {}, NFDUMP),
    Case("port 70000", "nfdump_csv", "csv",
         csv_text(CURRENT_GOOD, {}, {"dstPort": "70000"}), 2, {3: "invalid port"}, NFDUMP),
    Case("unparseable timestamp", "nfdump_csv", "csv",
         csv_text(CURRENT_GOOD, {}, {"firstSeen": "2024-13-45 99:00:00"}), 2,
         {3: "missing or unparseable timestamp"}, NFDUMP),
    Case("negative bytes", "nfdump_csv", "csv",
         csv_text(CURRENT_GOOD, {}, {"bytes": "-1200"}), 2, {3: "non-positive counts"}, NFDUMP),
    Case("non-UTF-8 line", "nfdump_csv", "csv",
         csv_text(CURRENT_GOOD, {}, {"srcAddr": NOT_UTF8_MARK}, {}), 3, {3: NOT_UTF8}, NFDUMP),
    Case("bytes x sampling interval overflows 64 bits", "nfdump_csv", "csv",
         csv_text(CURRENT_GOOD, {}, {"bytes": str(2**53)}), 2,
         {3: "bytes x sampling interval exceeds 64 bits"}, UNSCALED_NFDUMP),
    Case("empty file", "nfdump_csv", "csv", "", 0, {}, NFDUMP),
    Case("sampling rate 0, none configured", "goflow2_json", "json",
         json_text(GOFLOW2_GOOD, {}, {"sampling_rate": 0}), 2,
         {2: "sampling rate 0 and no sampling_interval configured"}),
    Case("sampling rate beyond 32 bits", "goflow2_json", "json",
         json_text(GOFLOW2_GOOD, {}, {"sampling_rate": 2**32}), 2,
         {2: "invalid sampling interval"}),
    Case("line that is not JSON", "goflow2_json", "json",
         json_text(GOFLOW2_GOOD, {}) + '{"bytes": 12\n', 2,
         {2: "malformed record: not a JSON object"}),
    Case("missing field", "goflow2_json", "json",
         json_text(GOFLOW2_GOOD, {}) + json.dumps({**GOFLOW2_GOOD, "bytes": None}) + "\n", 2,
         {2: "unparseable counts"}),
    Case("flow ends before it starts", "goflow2_json", "json",
         json_text(GOFLOW2_GOOD, {}, {"time_flow_end_ns": NOON_NS - 10**9}), 2,
         {2: "flow ends before it starts"}),
    Case("time 0", "goflow2_json", "json",
         json_text(GOFLOW2_GOOD, {}, {"time_flow_start_ns": 0}), 2,
         {2: "missing or unparseable timestamp"}),
    Case("non-integer counter", "goflow2_json", "json",
         json_text(GOFLOW2_GOOD, {}, {"packets": 1.5}), 2, {2: "unparseable counts"}),
    Case("unknown protocol keyword", "pmacct_json", "json",
         json_text(PMACCT_GOOD, {}, {"ip_proto": "tcpx"}), 2, {2: "unknown protocol"},
         {"sampling_interval": 10}),
    Case("bad IPv6 address", "pmacct_json", "json",
         json_text(PMACCT_GOOD, {}, {"ip_dst": "2001:db8:::1"}), 2,
         {2: "unparseable address"}, {"sampling_interval": 10}),
    Case("outside the week", "pmacct_json", "json",
         json_text(PMACCT_GOOD, {}, {"timestamp_start": "1714521600"}), 2,
         {2: "outside the partition week"}, {"sampling_interval": 10}),
    Case("ragged pmacct CSV row", "pmacct_csv", "csv",
         csv_text(PMACCT_CSV_GOOD, {}) + "10.0.0.1,192.0.2.9,40000\n", 2,
         {3: "malformed record: expected 9 fields"}),
    Case("negative sampling rate", "pmacct_csv", "csv",
         csv_text(PMACCT_CSV_GOOD, {}, {"SAMPLING_RATE": "-4"}), 2,
         {3: "invalid sampling interval"}),
    Case("non-integer packets", "pmacct_csv", "csv",
         csv_text(PMACCT_CSV_GOOD, {}, {"PACKETS": "2.5"}), 2, {3: "unparseable counts"}),
    Case("timestamps with an offset, a zone or Z", "canonical_csv", "csv",
         csv_text(CANONICAL_GOOD, {"flow_start": "2024-06-04 21:00:00+09:00"},
                  {"flow_start": "2024-06-04 21:00:00 Asia/Tokyo"},
                  {"flow_start": "2024-06-04T12:00:00Z"}), 3, {},
         starts=(datetime(2024, 6, 4, 12),) * 3),
    Case("sampling interval 2^31", "canonical_csv", "csv",
         csv_text(CANONICAL_GOOD, {}, {"sampling_interval": str(2**31)}), 2,
         {3: "invalid sampling interval"}),
    Case("sampling interval 0", "canonical_csv", "csv",
         csv_text(CANONICAL_GOOD, {}, {"sampling_interval": "0"}), 2,
         {3: "invalid sampling interval"}),
    Case("counts_scaled not a boolean", "canonical_csv", "csv",
         csv_text(CANONICAL_GOOD, {}, {"counts_scaled": "maybe"}), 2,
         {3: "malformed record: counts_scaled is not a boolean"}),
    Case("header only", "canonical_csv", "csv", csv_text(CANONICAL_GOOD), 0, {}),
    Case("empty canonical CSV (no header)", "canonical_csv", "csv", "", 0, {},
         refused="empty file"),
    Case("time-zone-aware Parquet column", "canonical_parquet", "parquet",
         parquet_sql({"flow_start": "timestamptz '2024-06-04 21:00:00+09'",
                      "flow_end": "timestamptz '2024-06-04 21:00:05+09'"}), 1, {},
         {"timezone": "America/New_York"}, starts=(datetime(2024, 6, 4, 12),)),
    Case("non-integer port in a float column", "canonical_parquet", "parquet",
         parquet_sql({"dst_port": "443.0::double"}, {"dst_port": "443.5::double"}), 2,
         {2: "invalid port"}),
    Case("bytes x sampling interval overflows 64 bits (Parquet)", "canonical_parquet",
         "parquet", parquet_sql({}, {"bytes": str(2**62), "sampling_interval": "4"}), 2,
         {2: "bytes x sampling interval exceeds 64 bits"}),
    Case("unknown service", "canonical_parquet", "parquet",
         parquet_sql({}, {"service": "'fixed'"}), 2, {2: "malformed record: unknown service"}),
    Case("bad IPv4 address", "assignments", "csv",
         csv_text(ASSIGNMENT_GOOD, {}, {"address": "10.0.0.300"}), 2,
         {3: "unparseable address"}),
    Case("assignment ends before it starts", "assignments", "csv",
         csv_text(ASSIGNMENT_GOOD, {}, {"valid_to": "2024-05-01 00:00:00"}), 2,
         {3: "assignment ends before it starts"}),
    Case("non-UTF-8 assignment line", "assignments", "csv",
         csv_text(ASSIGNMENT_GOOD, {"subscriber_id": NOT_UTF8_MARK}, {}), 2, {2: NOT_UTF8}),
    Case("missing subscriber", "assignments", "csv",
         csv_text(ASSIGNMENT_GOOD, {}, {"subscriber_id": ""}), 2, {3: "missing subscriber"}),
    Case("non-integer counter bytes", "usage_counters", "csv",
         csv_text(COUNTER_GOOD, {}, {"bytes_in": "1.5"}), 2, {3: "unparseable counts"}),
    Case("negative counter", "usage_counters", "csv",
         csv_text(COUNTER_GOOD, {}, {"bytes_out": "-1"}), 2, {3: "negative counts"}),
    Case("counter day outside the week", "usage_counters", "csv",
         csv_text(COUNTER_GOOD, {}, {"day": "2024-06-10"}), 2, {3: "outside the partition week"}),
    Case("ragged counters row", "usage_counters", "csv",
         csv_text(COUNTER_GOOD, {}) + "m2,mobile\n", 2,
         {3: "malformed record: wrong number of fields"}),
    Case("counters header only", "usage_counters", "csv", csv_text(COUNTER_GOOD), 0, {}),
)  # fmt: skip


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The directory of bad input: one file per case, by kind."""
    directory = tmp_path_factory.mktemp("bad-input")
    files: dict[str, Path] = {}
    with duckdb.connect() as con:
        for number, case in enumerate(CASES, start=1):
            path = directory / f"{number:02d}-{case.reader}.{case.suffix}"
            if case.suffix == "parquet":
                con.execute(f"copy ({case.content}) to '{path}' (format parquet)")
            else:
                raw = case.content.encode()
                path.write_bytes(raw.replace(NOT_UTF8_MARK.encode(), b"caf\xe9"))
            files[case.kind] = path
    yield files


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    prepare_staging(con)
    return con


def read(con: duckdb.DuckDBPyConnection, case: Case, path: Path) -> FileCounts:
    """The file through the reader that sources.yaml would give it."""
    week = AnalysisWeek(WEEK_START, WEEK_TIMEZONE)
    if case.reader in TABLES:
        source = TableSource(name="tables", format=case.suffix, path="", **case.settings)
        return table_files.stage_week_table(con, TABLES[case.reader], source, path, week)
    flow_source = FlowSource(name="flows", format=case.reader, path="", **case.settings)
    return FLOW_READERS[case.reader](con, flow_source, path, week)


def test_the_catalogue_covers_every_reader_format():
    formats = {case.reader for case in CASES}
    assert formats == set(FLOW_READERS) - {"nfcapd"} | set(TABLES)
    assert len({case.kind for case in CASES}) == len(CASES) >= 25
    for layout in ("ts,te,td,", "firstSeen,"):
        assert any(case.content.startswith(layout) for case in CASES if case.reader == "nfdump_csv")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.kind)
def test_every_record_is_loaded_or_quarantined_with_its_reason(case: Case, catalogue):
    path = catalogue[case.kind]
    con = connect()
    if case.refused:
        with pytest.raises(ValueError, match=case.refused):
            read(con, case, path)
        return
    counts = read(con, case, path)
    staged = "staged_flows" if case.reader not in TABLES else f"staged_{case.reader}"
    loaded = con.execute(f"select count(*) from {staged}").fetchone()
    quarantine = con.execute(
        "select source_row, reason from staged_quarantine where source_file = ? order by 1",
        [str(path)],
    ).fetchall()
    assert loaded == (case.records - len(case.bad),)
    assert counts.rows + sum(counts.quarantined.values()) == case.records
    assert counts.rows == case.records - len(case.bad)
    assert quarantine == sorted(case.bad.items())
    assert counts.quarantined == {
        reason: list(case.bad.values()).count(reason) for reason in case.bad.values()
    }
    if case.starts:
        starts = con.execute(f"select flow_start from {staged} order by source_row").fetchall()
        assert [start for (start,) in starts] == list(case.starts)
