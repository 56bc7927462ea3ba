"""Real application traffic, sampled by a real exporter, through the platform.

Each capture in realdata/traffic is turned into 1:N sampled NetFlow v9 by softflowd and
collected by nfcapd. nfcapd is not told the interval, so its records come out unsampled
and the source's `sampling_interval` says N. Every week the flows fall in is loaded and
staged by dbt (`stg_flows`); what the platform computes must equal N times what nfdump's
own aggregation of the same files says: totals and bytes per (protocol, lower port).
The captures are years old; each is ingested for the week(s) its flows fall in.
"""

import csv
import json
import os
import subprocess
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from dagster_project.sources.readers import nfdump
from dagster_project.sources.readers.protocol_names import nfdump_protocol_numbers
from dagster_project.sources.source_config import FlowSource, load_sources_config
from dagster_project.sources.week_load import load_week
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests.conftest import PROJECT_ROOT
from tests.support.flowtools import (
    missing_programs,
    nfcapd_collector,
    nfcapd_files,
    realdata_dir,
    softflowd_export,
)

REALDATA = realdata_dir()
CAPTURES = sorted((REALDATA / "traffic").glob("*.pcap")) if REALDATA else []
SAMPLING_INTERVAL = 4
PORTED = (6, 17)
# nfdump time window from 2000 on: every flow that has a time.
TIMED_FLOWS = "2000/01/01"
# softflowd skips this capture's frames as non-IP (they carry two VLAN tags), so it exports
# no flows from it.
NOT_EXPORTED_BY_SOFTFLOWD = {"4in4tunnel"}

pytestmark = [
    pytest.mark.skipif(REALDATA is None, reason="shared/realdata is not beside the project"),
    pytest.mark.skipif(
        bool(missing_programs("nfcapd", "nfdump", "softflowd")),
        reason="nfdump/softflowd not installed (scripts/install_system_packages.sh installs them)",
    ),
]

Totals = dict[tuple[int, int | None], tuple[int, int]]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """capture name -> directory of the nfcapd files its sampled export produced."""
    root = tmp_path_factory.mktemp("traffic")
    directories = {}
    for capture in CAPTURES:
        directory = root / capture.stem
        with nfcapd_collector(directory) as port:
            softflowd_export(capture, port, SAMPLING_INTERVAL, root / f"{capture.stem}.softflowd")
        assert nfcapd_files(directory), capture
        if capture.stem in NOT_EXPORTED_BY_SOFTFLOWD:
            assert nfdump_json("-R", str(directory)) == []
        else:
            directories[capture.stem] = directory
    return directories


def nfdump_json(*arguments: str) -> list[dict]:
    completed = subprocess.run(
        ["nfdump", *arguments, "-o", "json"],
        capture_output=True, text=True, check=True, env={**os.environ, "TZ": "UTC"},
    )  # fmt: skip
    if "No matching flows" in completed.stdout:
        return []
    return json.loads(completed.stdout)


def nfdump_implied_totals(directory: Path) -> Totals:
    """nfdump's aggregation by protocol and ports, scaled by N, keyed by the lower port.

    nfdump 1.7.1 leaves the keys out of aggregated JSON, so this reads its CSV. Flows
    without a time (softflowd exports a few with time 0) belong to no week and are left out
    on both sides: the platform quarantines them.
    """
    completed = subprocess.run(
        ["nfdump", "-R", str(directory), "-A", "proto,srcport,dstport", "-o", "csv", "-q",
         "-t", TIMED_FLOWS],
        capture_output=True, text=True, check=True, env={**os.environ, "TZ": "UTC"},
    )  # fmt: skip
    protocol_numbers = nfdump_protocol_numbers()
    volumes: Counter[tuple[int, int | None]] = Counter()
    packets: Counter[tuple[int, int | None]] = Counter()
    if "No matching flows" in completed.stdout:
        return {}
    for row in csv.reader(completed.stdout.splitlines()):
        name, src_port, dst_port = row[7].strip(), int(row[5]), int(row[6])
        protocol = protocol_numbers.get(name) or int(name)
        key = (protocol, min(src_port, dst_port) if protocol in PORTED else None)
        volumes[key] += int(row[12]) * SAMPLING_INTERVAL
        packets[key] += int(row[11]) * SAMPLING_INTERVAL
    return {key: (volumes[key], packets[key]) for key in volumes}


def untimed_flows(directory: Path) -> int:
    return sum(1 for row in nfdump_json("-R", str(directory)) if row["first"].startswith("1970"))


def weeks_of(directory: Path) -> set[date]:
    """Analysis weeks (Monday, Asia/Tokyo) the collected flows start in."""
    tokyo = ZoneInfo("Asia/Tokyo")
    weeks = set()
    for row in nfdump_json("-R", str(directory)):
        if row["first"].startswith("1970"):
            continue
        start = datetime.fromisoformat(row["first"]).replace(tzinfo=ZoneInfo("UTC"))
        local_day = start.astimezone(tokyo).date()
        weeks.add(local_day - timedelta(days=local_day.weekday()))
    return weeks


def write_sources(path: Path, directories: dict[str, Path]) -> Path:
    entries = "".join(
        f"    - name: {name}\n      format: nfcapd\n      path: {directory}/nfcapd.*\n"
        f"      service: broadband\n      sampling_interval: {SAMPLING_INTERVAL}\n"
        for name, directory in directories.items()
    )
    path.write_text(f"kind: files\nfiles:\n  flows:\n{entries}")
    return path


def staged_totals(warehouse: Path, week: date, monkeypatch: pytest.MonkeyPatch) -> Totals:
    """Build stg_flows for the week with dbt and aggregate it the way the marts do."""
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("TRAFFICREPORT_DUCKDB", str(warehouse))
    for name, value in AnalysisWeek(week).dbt_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(PROJECT_ROOT / "dbt")
    # The seed of protocol names first: stg_flows reads it.
    result = dbtRunner().invoke(
        ["build", "--quiet", "--select", "report_protocols", "stg_flows",
         "--exclude", "resource_type:test", "resource_type:unit_test",
         "--profiles-dir", str(PROJECT_ROOT / "dbt"), "--project-dir", str(PROJECT_ROOT / "dbt")]
    )  # fmt: skip
    assert result.success, result.exception
    # Same configuration as the in-process dbt connection, which DuckDB then shares.
    with duckdb.connect(str(warehouse)) as con:
        rows = con.execute(
            "select protocol, flow_port, sum(bytes), sum(packets) from stg_flows group by all"
        ).fetchall()
    return {(protocol, port): (int(b), int(p)) for protocol, port, b, p in rows}


def test_platform_port_volumes_equal_nfdump_aggregation(collected, tmp_path, monkeypatch):
    config = load_sources_config(write_sources(tmp_path / "sources.yaml", collected))
    warehouse = tmp_path / "warehouse.duckdb"
    weeks = set().union(*(weeks_of(directory) for directory in collected.values()))
    untimed = sum(untimed_flows(directory) for directory in collected.values())
    computed: Counter[tuple[int, int | None]] = Counter()
    computed_packets: Counter[tuple[int, int | None]] = Counter()
    for week in sorted(weeks):
        with duckdb.connect(str(warehouse)) as con:
            report = load_week(con, AnalysisWeek(week), config, "test-run")
        # Every record is in this week, or quarantined as belonging to another one or to none.
        assert set(report.quarantined) <= {
            "outside the partition week",
            "missing or unparseable timestamp",
        }
        assert report.quarantined.get("missing or unparseable timestamp", 0) == untimed
        assert report.provenance["source"] == "real"
        for key, (volume, packets) in staged_totals(warehouse, week, monkeypatch).items():
            computed[key] += volume
            computed_packets[key] += packets
    expected: Totals = {}
    for directory in collected.values():
        for key, (volume, packets) in nfdump_implied_totals(directory).items():
            old_volume, old_packets = expected.get(key, (0, 0))
            expected[key] = (old_volume + volume, old_packets + packets)
    assert {key: (computed[key], computed_packets[key]) for key in computed} == expected
    # The captures cover the protocols the report breaks down.
    assert {(6, 443), (17, 443), (17, 8801)} <= expected.keys()


def test_nfcapd_told_the_interval_scales_itself_and_says_so(collected, tmp_path):
    """With `nfcapd -s N` the same export arrives scaled, marked sampled, with N recorded."""
    capture = REALDATA / "traffic" / "zoom.pcap"
    directory = tmp_path / "scaled"
    with nfcapd_collector(directory, sampling_interval=SAMPLING_INTERVAL) as port:
        softflowd_export(capture, port, SAMPLING_INTERVAL, tmp_path / "softflowd")
    unscaled = read_all_flows(collected["zoom"], sampling_interval=SAMPLING_INTERVAL)
    scaled = read_all_flows(directory, sampling_interval=None)
    assert {(row[2], row[3]) for row in scaled} == {(SAMPLING_INTERVAL, True)}
    assert {(row[2], row[3]) for row in unscaled} == {(SAMPLING_INTERVAL, False)}
    assert [(b, p) for b, p, *_ in scaled] == [
        (b * SAMPLING_INTERVAL, p * SAMPLING_INTERVAL) for b, p, *_ in unscaled
    ]


def read_all_flows(directory: Path, sampling_interval: int | None) -> list[tuple]:
    """(bytes, packets, sampling_interval, counts_scaled) of every record, in a fixed order."""
    source = FlowSource(name="zoom", format="nfcapd", path="", sampling_interval=sampling_interval)
    rows = []
    with duckdb.connect() as con:
        for path in nfcapd_files(directory):
            json_path = directory.parent / f"{directory.name}.json"
            assert nfdump.dump_nfcapd_json(path, json_path)
            parsed = nfdump.nfcapd_json_sql(
                source, path, json_path, nfdump.exporter_sampling_intervals(path)
            )
            rows += con.execute(
                "select bytes, packets, sampling_interval, counts_scaled "
                f"from ({parsed}) order by src_addr, dst_addr, src_port, dst_port, flow_start"
            ).fetchall()
    return rows
