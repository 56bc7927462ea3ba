"""Two collectors' views of the same real router export must agree flow for flow.

Each folder of realdata/exporters holds the UDP packets a Cisco router sent and what
pmacct's nfacctd decoded from them. The packets are replayed to nfcapd; its files are read
through the nfcapd reader and pmacct's output through the pmacct reader, and after each
collector's sampling convention the flows must be the same.
"""

import re
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources.readers import nfdump, pmacct
from dagster_project.sources.readers.protocol_names import register_protocol_tables
from dagster_project.sources.source_config import FlowSource
from tests.support.flowtools import (
    missing_programs,
    nfcapd_collector,
    nfcapd_files,
    realdata_dir,
    replay_udp,
)

REALDATA = realdata_dir()
EXPORTERS = sorted((REALDATA / "exporters").glob("pmacct-*")) if REALDATA else []

# The IPv6 exporter announces 1:256 packet sampling in an IPFIX option record that nfdump
# 1.7.1 does not apply (its records come out unsampled), so its source states the interval:
# the case `sampling_interval` exists for. The other two exporters do not sample.
NFCAPD_SAMPLING = {"pmacct-104-IPFIXv10-IPv6-CISCO-sampling_option": 256}

FLOW_KEY = (
    "select src_addr, dst_addr, src_port, dst_port, protocol, "
    "case when counts_scaled then packets else packets * sampling_interval end as packets, "
    "case when counts_scaled then bytes else bytes * sampling_interval end as bytes "
    "from ({parsed}) order by all"
)

pytestmark = [
    pytest.mark.skipif(REALDATA is None, reason="shared/realdata is not beside the project"),
    pytest.mark.skipif(
        bool(missing_programs("nfcapd", "nfdump")),
        reason="nfdump is not installed (scripts/install_system_packages.sh installs it)",
    ),
]


def renormalizes(folder: Path) -> bool:
    """Whether that nfacctd multiplied counts by the sampling interval."""
    config = (folder / "nfacctd-00.conf").read_text()
    match = re.search(r"^nfacctd_renormalize:\s*(\w+)", config, re.MULTILINE)
    return bool(match) and match.group(1).lower() == "true"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    register_protocol_tables(connection)
    return connection


@pytest.fixture(params=EXPORTERS, ids=lambda folder: folder.name)
def exporter(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """(exporter folder, the nfcapd file its replayed packets produced)."""
    folder = request.param
    with nfcapd_collector(tmp_path / "nfcapd") as port:
        assert replay_udp(folder / "traffic-00.pcap", port) > 0
    files = nfcapd_files(tmp_path / "nfcapd")
    assert len(files) == 1, files
    return folder, files[0]


def nfcapd_flows(con, folder: Path, nfcapd_file: Path, scratch: Path) -> list[tuple]:
    source = FlowSource(
        name="router", format="nfcapd", path="",
        sampling_interval=NFCAPD_SAMPLING.get(folder.name),
    )  # fmt: skip
    json_path = scratch / "flows.json"
    assert nfdump.dump_nfcapd_json(nfcapd_file, json_path)
    parsed = nfdump.nfcapd_json_sql(source, nfcapd_file, json_path)
    return con.execute(FLOW_KEY.format(parsed=parsed)).fetchall()


def pmacct_flows(con, folder: Path) -> list[tuple]:
    source = FlowSource(
        name="router", format="pmacct_json", path="", counts_scaled=renormalizes(folder)
    )
    parsed = pmacct.json_sql(source, folder / "output-flow-00.json")
    return con.execute(FLOW_KEY.format(parsed=parsed)).fetchall()


def test_nfcapd_and_pmacct_agree_flow_for_flow(con, exporter, tmp_path):
    folder, nfcapd_file = exporter
    from_nfcapd = nfcapd_flows(con, folder, nfcapd_file, tmp_path)
    from_pmacct = pmacct_flows(con, folder)
    assert len(from_pmacct) == len(
        (folder / "output-flow-00.json").read_text().strip().splitlines()
    )
    assert from_nfcapd == from_pmacct


def test_unsampled_nfcapd_records_take_the_configured_interval(con, exporter, tmp_path):
    """nfdump marks the IPv6 exporter's records unsampled; the source's 1:256 scales them."""
    folder, nfcapd_file = exporter
    interval = NFCAPD_SAMPLING.get(folder.name)
    source = FlowSource(name="router", format="nfcapd", path="", sampling_interval=interval)
    json_path = tmp_path / "flows.json"
    nfdump.dump_nfcapd_json(nfcapd_file, json_path)
    rows = con.execute(
        "select distinct sampling_interval, counts_scaled "
        f"from ({nfdump.nfcapd_json_sql(source, nfcapd_file, json_path)})"
    ).fetchall()
    assert rows == [(interval or 1, interval is None)]
