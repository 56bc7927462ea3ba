"""Each reader on small hand-written files: values, sampling convention and quarantine."""

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources.readers import FLOW_READERS, canonical, prepare_staging
from dagster_project.sources.source_config import FlowSource
from dagster_project.weeks.analysis_week import AnalysisWeek

# Week of 2024-06-03 in Asia/Tokyo, as naive UTC bounds.
WEEK = AnalysisWeek(date(2024, 6, 3), "Asia/Tokyo")

LEGACY_HEADER = (
    "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,"
    "nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,"
    "mpls9,mpls10,cl,sl,al,ra,eng,exid,tr"
)


def legacy_line(ts: str, te: str, sa: str, da: str, sp: str, dp: str, pr: str, pkt: str,
                byt: str, opkt: str = "0") -> str:  # fmt: skip
    fields = [ts, te, "1.000", sa, da, sp, dp, pr, "........", "0", "0", pkt, byt, opkt, "0"]
    interfaces_to_direction = ["0"] * 8
    next_hops = ["0.0.0.0", "0.0.0.0"]
    vlans_and_macs = ["0", "0"] + ["00:00:00:00:00:00"] * 4
    mpls_and_latency = ["0-0-0"] * 10 + ["0.000"] * 3
    exporter = ["192.0.2.1", "0/0", "1", "2024-06-04 12:00:00.000"]
    return ",".join(
        fields + interfaces_to_direction + next_hops + vlans_and_macs + mpls_and_latency + exporter
    )


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    prepare_staging(connection)
    return connection


def staged(con, columns: str = "src_addr, protocol, src_port, dst_port, bytes, packets"):
    return con.execute(f"select {columns} from staged_flows order by source_row").fetchall()


def quarantined(con) -> list[tuple]:
    return con.execute(
        "select source_row, reason from staged_quarantine order by source_row"
    ).fetchall()


def test_legacy_nfdump_csv_reads_local_time_names_and_skips_summary(con, tmp_path: Path):
    path = tmp_path / "flows.csv"
    day, other_week = "2024-06-04 21:00:00", "2024-06-01 21:00:00"
    records = [
        (day, "10.0.0.1", "192.0.2.9", "52000", "443", "TCP", "10", "15000"),
        (day, "2001:db8::1", "2001:db8::2", "0", "0", "ESP", "2", "400"),
        (day, "10.0.0.1", "192.0.2.9", "1", "2", "BOGUS", "2", "400"),
        (day, "10.0.0.300", "192.0.2.9", "1", "2", "UDP", "2", "400"),
        (day, "10.0.0.1", "192.0.2.9", "1", "2", "UDP", "0", "0"),
        (other_week, "10.0.0.1", "192.0.2.9", "1", "2", "UDP", "1", "100"),
    ]
    lines = [
        LEGACY_HEADER,
        *(legacy_line(start, start, *rest) for start, *rest in records),
        f"{day},truncated",
        "Summary",
        "flows,bytes,packets,avg_bps,avg_pps,avg_bpp",
        "7,16300,17,0,0,0",
    ]
    path.write_text("\n".join(lines) + "\n")
    source = FlowSource(
        name="bras", format="nfdump_csv", path="", timezone="Asia/Tokyo", counts_scaled=True
    )
    counts = FLOW_READERS["nfdump_csv"](con, source, path, WEEK)
    assert staged(con) == [
        ("10.0.0.1", 6, 52000, 443, 15000, 10),
        ("2001:db8::1", 50, 0, 0, 400, 2),
    ]
    # 21:00 in Tokyo is 12:00 UTC; counts are nfdump's, already scaled.
    assert con.execute(
        "select distinct flow_start, counts_scaled, exporter from staged_flows"
    ).fetchall() == [(datetime(2024, 6, 4, 12), True, "192.0.2.1")]
    assert quarantined(con) == [
        (4, "unknown protocol"),
        (5, "unparseable address"),
        (6, "non-positive counts"),
        (7, "outside the partition week"),
        (8, "malformed record: expected 48 fields"),
    ]
    assert counts.rows == 2 and sum(counts.quarantined.values()) == 5


def test_current_nfdump_csv_reads_milliseconds_and_numeric_protocols(con, tmp_path: Path):
    path = tmp_path / "flows.csv"
    path.write_text(
        "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n"
        "2024-06-04 12:00:00.250,1.500,17,10.0.0.1,40000,192.0.2.9,443,3,3600,1\n"
        "2024-06-04 12:00:00.250,1.500,17,10.0.0.1,70000,192.0.2.9,443,3,3600,1\n"
    )
    source = FlowSource(
        name="bras", format="nfdump_csv", path="", sampling_interval=64, counts_scaled=False
    )
    FLOW_READERS["nfdump_csv"](con, source, path, WEEK)
    columns = "flow_start, flow_end, protocol, bytes, sampling_interval, counts_scaled"
    start, end = datetime(2024, 6, 4, 12, 0, 0, 250000), datetime(2024, 6, 4, 12, 0, 1, 750000)
    assert staged(con, columns) == [(start, end, 17, 3600, 64, False)]
    assert quarantined(con) == [(3, "invalid port")]


def test_nfdump_csv_of_an_empty_nfcapd_file_has_no_records(con, tmp_path: Path):
    """`nfdump -q -o csv` prints this line instead of records for a file without flows."""
    path = tmp_path / "flows.csv"
    path.write_text("No matching flows\n")
    source = FlowSource(name="bras", format="nfdump_csv", path="", counts_scaled=True)
    counts = FLOW_READERS["nfdump_csv"](con, source, path, WEEK)
    assert (counts.rows, counts.quarantined, quarantined(con)) == (0, {}, [])


def test_goflow2_counts_are_unscaled_and_rate_zero_is_explicit(con, tmp_path: Path):
    path = tmp_path / "goflow2.json"
    start = 1717502400 * 10**9  # 2024-06-04 12:00 UTC
    record = (
        '{{"type":"IPFIX","sampling_rate":{rate},"sampler_address":"192.0.2.1",'
        f'"time_flow_start_ns":{start},"time_flow_end_ns":{start + 10**9},'
        '"bytes":1500,"packets":1,"src_addr":"10.0.0.1","dst_addr":"192.0.2.9",'
        '"etype":"IPv4","proto":"{proto}","src_port":51820,"dst_port":51820}}'
    )
    path.write_text(
        "\n".join(
            [
                record.format(rate=1000, proto="UDP"),
                record.format(rate=0, proto="UDP"),
                record.format(rate=1000, proto="nonsense"),
                '{"bytes": 12',
            ]
        )
        + "\n"
    )
    source = FlowSource(name="gf", format="goflow2_json", path="")
    FLOW_READERS["goflow2_json"](con, source, path, WEEK)
    assert staged(con, "protocol, bytes, sampling_interval, counts_scaled, exporter") == [
        (17, 1500, 1000, False, "192.0.2.1")
    ]
    assert quarantined(con) == [
        (2, "sampling rate 0 and no sampling_interval configured"),
        (3, "unknown protocol"),
        (4, "malformed record: not a JSON object"),
    ]


def test_goflow2_rate_zero_takes_the_configured_interval(con, tmp_path: Path):
    path = tmp_path / "goflow2.json"
    path.write_text(
        '{"sampling_rate":0,"time_flow_start_ns":1717502400000000000,'
        '"time_flow_end_ns":1717502400000000000,"bytes":100,"packets":1,'
        '"src_addr":"10.0.0.1","dst_addr":"10.0.0.2","proto":6,"src_port":1,"dst_port":2}\n'
    )
    source = FlowSource(name="gf", format="goflow2_json", path="", sampling_interval=512)
    FLOW_READERS["goflow2_json"](con, source, path, WEEK)
    assert staged(con, "sampling_interval, counts_scaled") == [(512, False)]


def test_pmacct_csv_maps_columns_by_header(con, tmp_path: Path):
    path = tmp_path / "pmacct.csv"
    path.write_text(
        "SRC_IP,DST_IP,SRC_PORT,DST_PORT,PROTOCOL,TIMESTAMP_START,PACKETS,BYTES\n"
        "10.0.0.1,192.0.2.9,40000,80,tcp,1717502400.000000,2,120\n"
        "10.0.0.1,192.0.2.9,40000,80,tcp,1717502400.000000,-2,120\n"
        "10.0.0.1,192.0.2.9,40000,80,tcp\n"
    )
    source = FlowSource(name="pm", format="pmacct_csv", path="", sampling_interval=10)
    FLOW_READERS["pmacct_csv"](con, source, path, WEEK)
    assert staged(con, "flow_start, protocol, packets, sampling_interval, counts_scaled") == [
        (datetime(2024, 6, 4, 12), 6, 2, 10, False)
    ]
    assert quarantined(con) == [
        (3, "non-positive counts"),
        (4, "malformed record: expected 8 fields"),
    ]


def test_canonical_parquet_and_csv_round_trip(con, tmp_path: Path):
    con.execute(
        "create table sample as select timestamp '2024-06-04 12:00:00' as flow_start, "
        "timestamp '2024-06-04 12:00:05' as flow_end, '10.0.0.1' as src_addr, "
        "'192.0.2.9' as dst_addr, 50000 as src_port, 443 as dst_port, 6 as protocol, "
        "1000 as bytes, 2 as packets, 100 as sampling_interval, false as counts_scaled, "
        "'mobile' as service, 'pgw1' as exporter"
    )
    con.execute(f"copy sample to '{tmp_path / 'flows.parquet'}' (format parquet)")
    con.execute(f"copy sample to '{tmp_path / 'flows.csv'}' (format csv, header)")
    source = FlowSource(name="canon", format="canonical_parquet", path="")
    FLOW_READERS["canonical_parquet"](con, source, tmp_path / "flows.parquet", WEEK)
    FLOW_READERS["canonical_csv"](con, source, tmp_path / "flows.csv", WEEK)
    expected = con.execute("select * from sample").fetchall()
    columns = ", ".join(canonical.COLUMNS)
    assert con.execute(f"select {columns} from staged_flows").fetchall() == expected * 2
    assert quarantined(con) == []
