"""The fast nfcapd reader (`nfdump -o pipe`) reads what the JSON reader reads, or steps aside.

Address text is compared with the C library's inet_ntop, which nfdump's JSON and the other
collectors print with; the sampling rules with nfcapd's; the records of real exports
(softflowd, Cisco routers) with those of the JSON reader, column for column.
"""

import socket
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources.address_numbers import halves_of, numbered_flows_sql
from dagster_project.sources.raw_schema import FLOWS
from dagster_project.sources.readers import FLOW_READERS, nfdump, prepare_staging
from dagster_project.sources.readers.nfcapd_exporters import (
    Exporter,
    Sampler,
    UniformSampling,
    nfcapd_exporters,
    one_exporter,
    uniform_sampling,
)
from dagster_project.sources.readers.nfcapd_pipe import FIELDS, pipe_output, pipe_sql
from dagster_project.sources.readers.pipe_addresses import address_halves_sql
from dagster_project.sources.source_config import FlowSource
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests.support.flowtools import (
    missing_programs,
    nfcapd_collector,
    nfcapd_files,
    realdata_dir,
    replay_udp,
    softflowd_export,
)

REALDATA = realdata_dir()
NO_COLLECTOR = pytest.mark.skipif(
    REALDATA is None or bool(missing_programs("nfcapd", "nfdump", "softflowd")),
    reason="needs shared/realdata and nfdump/softflowd (scripts/install_system_packages.sh)",
)
IPV6 = [
    "::", "::1", "::2", "1::", "2001:db8::1", "2001:db8:0:1:0:0:0:1", "2001:0:0:1:0:0:0:1",
    "1:0:0:2:0:0:0:3", "1:2:3:4:5:6:7:8", "fe80::1:0:0:0", "0:0:1::", "::ffff:192.0.2.1",
    "::ffff:0:0", "::1:0:0:0", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
    "0:1:0:1:0:1:0:1", "1:0:1:0:0:1:0:1", "64:ff9b::c000:201",
]  # fmt: skip
IPV4 = ("0.0.0.0", "10.0.0.1", "192.0.2.255", "255.255.255.255")
# How `pipe` prints the records that carry an IPv4 and an IPv6 address field (Cisco's v9
# template), whose IPv4 address the JSON reader reads.
DUAL = {"::192.0.2.1": "192.0.2.1", "::10.1.0.0": "10.1.0.0"}


def words(text: str) -> tuple[int, int, int, int]:
    packed = socket.inet_pton(socket.AF_INET6, text)
    return tuple(int.from_bytes(packed[i : i + 4], "big") for i in range(0, 16, 4))


def test_pipe_addresses_read_as_the_numbers_of_their_text():
    """Each address gets the halves `address_numbers` gives its text; the dual-stack
    `::a.b.c.d` those of its IPv4 address."""
    rows = [(10, *words(text)) for text in [*IPV6, *DUAL]] + [
        (2, 0, 0, 0, int.from_bytes(socket.inet_aton(text), "big")) for text in IPV4
    ]
    con = duckdb.connect()
    con.execute("create table addresses (af utinyint, sa0 uinteger, sa1 uinteger, "
                "sa2 uinteger, sa3 uinteger)")  # fmt: skip
    con.executemany("insert into addresses values (?, ?, ?, ?, ?)", rows)
    numbers = con.execute(f"select {address_halves_sql('sa', 'src')} from addresses").fetchall()
    texts = [DUAL.get(text, text) for text in [*IPV6, *DUAL]] + list(IPV4)
    assert numbers == [halves_of(text) for text in texts]


def exporter(version: int, *kinds: str, address: str = "192.0.2.1", flows: int = 5) -> Exporter:
    samplers = tuple(Sampler(kind, 1, 99) for kind in kinds)
    return Exporter(1, address, version, flows, samplers)


def test_sampling_known_from_the_exporter_listing_follows_nfcapds_rules():
    assert uniform_sampling(exporter(9)) == UniformSampling(None)
    assert uniform_sampling(exporter(9, "Static default")) == UniformSampling(100)
    assert uniform_sampling(exporter(10, "Assigned", "Static overwrite")) == UniformSampling(100)
    assert uniform_sampling(exporter(5, "Generic")) == UniformSampling(100)
    # an announced sampler applies from its option record on, or to the records naming it
    assert uniform_sampling(exporter(10, "Generic")) is None
    assert uniform_sampling(exporter(9, "Static default", "Assigned")) is None
    # sfcapd's sFlow exporters: their records carry the sampled flag whatever is listed
    assert uniform_sampling(exporter(1)) is None


def test_one_exporter_is_one_address_with_one_sampling():
    domains = [exporter(10, flows=8), exporter(10, flows=4), exporter(10, flows=0)]
    assert one_exporter(domains) == exporter(10, flows=12)
    assert one_exporter([exporter(9), exporter(9, address="192.0.2.2")]) is None
    assert one_exporter([exporter(9), exporter(9, "Static default")]) is None
    assert one_exporter([exporter(9, flows=0)]) is None


# Every parsed column but the record text: the pipe's addresses as numbers, the JSON's text
# numbered as the load numbers it.
COMPARED = ", ".join(name for name in FLOWS.column_names if name != "week_start") + ", malformed"


def parsed_by_both(con: duckdb.DuckDBPyConnection, source: FlowSource, path: Path, scratch: Path):
    """(pipe, JSON) parsed records of one nfcapd file, without the record text."""
    found = one_exporter(nfcapd_exporters(path))
    assert found is not None
    with pipe_output(path, FIELDS) as batches:
        con.register("pipe_records", batches)
        pipe = pipe_sql(source, path, "pipe_records", found)
        from_pipe = con.execute(f"select {COMPARED} from ({pipe}) order by all").fetchall()
    json_path = scratch / f"{path.name}.json"
    assert nfdump.dump_nfcapd_json(path, json_path)
    json = nfdump.nfcapd_json_sql(source, path, json_path, nfdump.exporter_sampling_intervals(path))
    con.execute(f"create or replace temp table json_records as {json}")
    numbered = numbered_flows_sql(con, "json_records")
    from_json = con.execute(f"select {COMPARED} from {numbered} order by all").fetchall()
    return from_pipe, from_json


@NO_COLLECTOR
@pytest.mark.parametrize("collector_rate", [None, 4])
def test_softflowd_export_reads_the_same_through_pipe_and_json(tmp_path, collector_rate):
    folder = tmp_path / "nfcapd"
    with nfcapd_collector(folder, sampling_interval=collector_rate) as port:
        softflowd_export(REALDATA / "traffic" / "zoom.pcap", port, 4, tmp_path / "softflowd")
    (path,) = nfcapd_files(folder)
    source = FlowSource(name="zoom", format="nfcapd", path="", sampling_interval=4)
    from_pipe, from_json = parsed_by_both(duckdb.connect(), source, path, tmp_path)
    assert from_pipe == from_json and len(from_pipe) > 30


@NO_COLLECTOR
@pytest.mark.parametrize(
    "capture", sorted((REALDATA / "exporters").glob("pmacct-*")) if REALDATA else []
)
def test_router_exports_read_the_same_through_pipe_and_json(tmp_path, capture):
    """Cisco NetFlow v9 and IPFIX, IPv4 and IPv6, two observation domains of one router."""
    with nfcapd_collector(tmp_path / "nfcapd") as port:
        replay_udp(capture / "traffic-00.pcap", port)
    (path,) = nfcapd_files(tmp_path / "nfcapd")
    source = FlowSource(name="router", format="nfcapd", path="", sampling_interval=256)
    from_pipe, from_json = parsed_by_both(duckdb.connect(), source, path, tmp_path)
    assert from_pipe == from_json and from_pipe


@NO_COLLECTOR
@pytest.mark.parametrize("through_pipe", [False, True], ids=["from its bytes", "through pipe"])
def test_nfcapd_reader_keeps_rejected_records_text_without_json(
    tmp_path, monkeypatch, through_pipe
):
    with nfcapd_collector(tmp_path / "nfcapd") as port:
        softflowd_export(REALDATA / "traffic" / "zoom.pcap", port, 4, tmp_path / "softflowd")
    (path,) = nfcapd_files(tmp_path / "nfcapd")

    def no_json(*_arguments):
        raise AssertionError("read through JSON")

    monkeypatch.setattr(nfdump, "read_nfcapd_json", no_json)
    if through_pipe:  # as for a file read directly cannot (LZO)
        monkeypatch.setattr(nfdump, "stage_records", lambda *_arguments: None)
    con = duckdb.connect()
    prepare_staging(con)
    source = FlowSource(name="zoom", format="nfcapd", path="", sampling_interval=4)
    counts = FLOW_READERS["nfcapd"](con, source, path, AnalysisWeek(date(2019, 9, 23)))
    assert counts.rows > 30
    staged = con.execute("select count(*) from staged_flow_numbers").fetchone()
    assert staged == (counts.rows,)
    # One record has no times; its text is its line of nfdump's pipe output.
    rejected = con.execute("select record from staged_quarantine").fetchall()
    assert counts.quarantined == {"missing or unparseable timestamp": 1}
    ((record,),) = rejected
    assert record.startswith("2|0|0|6|") and record.count("|") == len(FIELDS) - 1
