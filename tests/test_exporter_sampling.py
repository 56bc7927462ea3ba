"""Every flow record's sampling interval has a known origin, and a week shows it per exporter.

nfcapd 1.7.1 ignores a sampling rate an exporter announces and applies only the first of
several samplers, so records arrive unscaled and look 1:1. The source configuration then
gives the interval per exporter (`exporter_sampling`, as in a router inventory); the warning
check `gx_sampling_origin` shows per exporter the intervals used and where they came from,
and warns about an exporter whose unscaled records had no interval from anywhere.
"""

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.sources.readers import FLOW_READERS, nfdump, prepare_staging
from dagster_project.sources.readers.quarantine import create_staging_tables
from dagster_project.sources.source_config import FlowSource, SourcesConfig, load_sources_config
from dagster_project.sources.week_load import load_week
from dagster_project.validation.gx_suites import validate_batch
from dagster_project.validation.suite_catalogue import SUITE_CHECKS
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests import validation_data as data
from tests.support.flowtools import (
    missing_programs,
    nfcapd_collector,
    nfcapd_files,
    realdata_dir,
    replay_udp,
    softflowd_export,
)
from tests.test_ingest_readers import LEGACY_HEADER, WEEK, legacy_line
from tests.test_source_config import files_config, problems

CHECK = next(spec for spec in SUITE_CHECKS if spec.check_name == "gx_sampling_origin")
REALDATA = realdata_dir()
NO_REAL_COLLECTOR = pytest.mark.skipif(
    REALDATA is None or bool(missing_programs("nfcapd", "nfdump", "softflowd")),
    reason="needs shared/realdata and nfdump/softflowd (scripts/install_system_packages.sh)",
)
SAMPLING = "exporter, sampling_interval, counts_scaled, sampling_origin"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    prepare_staging(connection)
    return connection


def staged(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(f"select {SAMPLING} from staged_flows order by source_row").fetchall()


def test_nfdump_csv_must_say_whether_counts_are_scaled(tmp_path: Path) -> None:
    flow = "    - {name: bras, format: nfdump_csv, path: x, sampling_interval: 1024}\n"
    assert problems(files_config(tmp_path, flow)) == [
        "files.flows[0].counts_scaled: required for format nfdump_csv: true if the collector "
        "multiplied the counts by the sampling interval, false if not"
    ]


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ("{'bras 1': 1024}", "exporter_sampling.bras 1: exporter 'bras 1' is neither an IP"),
        ("{10.0.0.1: '1024'}", "exporter_sampling.10.0.0.1: must be a whole number, not '1024'"),
        ("{10.0.0.1: 0}", "exporter_sampling.10.0.0.1: must be greater than 0, not 0"),
        ("{2001:0:1:2: 4}", "exporter_sampling[432216062]: exporter '432216062' is a number"),
        ("{10.0.0.1: 2.5}", "exporter_sampling.10.0.0.1: must be a whole number, not 2.5"),
        ("[10.0.0.1]", "exporter_sampling: must be a mapping of keys, not ['10.0.0.1']"),
    ],
)
def test_exporter_sampling_takes_exporters_and_whole_intervals(
    tmp_path: Path, mapping: str, problem: str
) -> None:
    flow = f"    - {{name: bras, format: nfcapd, path: x, exporter_sampling: {mapping}}}\n"
    (found,) = problems(files_config(tmp_path, flow))
    assert found.startswith(f"files.flows[0].{problem}"), found


def test_exporter_sampling_names_addresses_as_records_do(tmp_path: Path) -> None:
    flow = (
        "    - name: bras\n      format: nfcapd\n      path: x\n      exporter_sampling:\n"
        "        2001:DB8:0::1: 4096\n        10.0.0.1: 1024\n        bras-02.tokyo: 512\n"
    )
    files = load_sources_config(files_config(tmp_path, flow)).files
    assert files is not None
    (source,) = files.flows
    assert source.exporter_sampling == {"2001:db8::1": 4096, "10.0.0.1": 1024, "bras-02.tokyo": 512}


def test_canonical_sources_take_no_exporter_sampling(tmp_path: Path) -> None:
    flow = "    - {name: c, format: canonical_csv, path: x, exporter_sampling: {r1: 4}}\n"
    (found,) = problems(files_config(tmp_path, flow))
    assert found.startswith("files.flows[0].exporter_sampling: not used by canonical formats")


def test_unscaled_nfdump_csv_records_take_their_exporters_interval(con, tmp_path: Path) -> None:
    """Field `ra` of the legacy CSV names the exporter (192.0.2.1 in these lines)."""
    path = tmp_path / "nfdump.csv"
    day = "2024-06-04 21:00:00"
    record = legacy_line(day, day, "10.0.0.1", "192.0.2.9", "52000", "443", "TCP", "10", "15000")
    path.write_text(f"{LEGACY_HEADER}\n{record}\n")
    configured = {"name": "bras", "format": "nfdump_csv", "path": "", "timezone": "Asia/Tokyo"}
    for counts_scaled, exporter_sampling, expected in (
        (False, {"192.0.2.1": 64}, (64, False, "exporter_config")),
        (False, {"192.0.2.2": 64}, (1, True, "unknown")),
        (True, {}, (1, True, "collector")),
    ):
        source = FlowSource(
            **configured, counts_scaled=counts_scaled, exporter_sampling=exporter_sampling
        )
        create_staging_tables(con)
        FLOW_READERS["nfdump_csv"](con, source, path, WEEK)
        assert staged(con) == [("192.0.2.1", *expected)]


def test_pmacct_records_say_where_their_interval_came_from(con, tmp_path: Path) -> None:
    """The record's own rate, then the exporter's entry, then the source's interval."""
    path = tmp_path / "pmacct.json"
    record = (
        '{{"peer_ip_src": "{exporter}", "ip_src": "10.0.0.1", "ip_dst": "192.0.2.9", '
        '"port_src": 40000, "port_dst": 443, "ip_proto": "tcp", "packets": 2, "bytes": 120, '
        '"timestamp_start": "1717502400.000000"{rate}}}'
    )
    path.write_text(
        "\n".join(
            [
                record.format(exporter="192.0.2.1", rate=""),
                record.format(exporter="192.0.2.2", rate=""),
                record.format(exporter="192.0.2.3", rate=', "sampling_rate": 100'),
            ]
        )
        + "\n"
    )
    source = FlowSource(
        name="pm", format="pmacct_json", path="", exporter_sampling={"192.0.2.1": 1024}
    )
    FLOW_READERS["pmacct_json"](con, source, path, WEEK)
    assert staged(con) == [
        ("192.0.2.1", 1024, False, "exporter_config"),
        ("192.0.2.2", 1, True, "unknown"),
        ("192.0.2.3", 100, False, "record"),
    ]
    with_default = source.model_copy(update={"sampling_interval": 10})
    create_staging_tables(con)
    FLOW_READERS["pmacct_json"](con, with_default, path, WEEK)
    assert [row[1:] for row in staged(con)][1] == (10, False, "source_config")


def test_goflow2_rate_zero_takes_the_exporters_interval(con, tmp_path: Path) -> None:
    path = tmp_path / "goflow2.json"
    path.write_text(
        '{"sampling_rate":0,"sampler_address":"192.0.2.1","time_flow_start_ns":'
        '1717502400000000000,"time_flow_end_ns":1717502400000000000,"bytes":100,"packets":1,"src_addr":"10.0.0.1",'
        '"dst_addr":"10.0.0.2","proto":6,"src_port":1,"dst_port":2}\n'
    )
    source = FlowSource(
        name="gf", format="goflow2_json", path="", exporter_sampling={"192.0.2.1": 512}
    )
    FLOW_READERS["goflow2_json"](con, source, path, WEEK)
    assert staged(con) == [("192.0.2.1", 512, False, "exporter_config")]


def flows_of_two_exporters(origin_of_bras2: str) -> pd.DataFrame:
    frame = data.flows()
    second = frame.index >= 3
    frame.loc[second, "exporter"] = "bras2"
    frame.loc[second, "sampling_origin"] = origin_of_bras2
    if origin_of_bras2 == "unknown":
        frame.loc[second, ["sampling_interval", "counts_scaled"]] = [1, True]
    return frame


def test_week_warns_about_an_exporter_unscaled_without_interval(new_warehouse) -> None:
    con = new_warehouse()
    data.load(con, flow_rows=flows_of_two_exporters("unknown"))
    batch = CHECK.fetch(con, AnalysisWeek(data.WEEK))
    outcome = validate_batch(batch, CHECK.suite)
    assert not outcome.success and not CHECK.blocking
    (failure,) = outcome.failed
    assert failure.column == "unscaled_without_interval" and failure.unexpected_count == 1
    assert batch.scope == (
        "sampling of all 6 flow records per exporter: bras1 1:1000 (record); bras2 1:1 (unknown)"
    )


def test_week_with_every_interval_known_passes(new_warehouse) -> None:
    con = new_warehouse()
    data.load(con, flow_rows=flows_of_two_exporters("exporter_config"))
    batch = CHECK.fetch(con, AnalysisWeek(data.WEEK))
    assert validate_batch(batch, CHECK.suite).success
    assert batch.scope.endswith("bras1 1:1000 (record); bras2 1:1000 (exporter_config)")


@NO_REAL_COLLECTOR
def test_nfcapd_records_of_an_ignored_sampler_take_the_inventorys_interval(con, tmp_path):
    """The Cisco IPv6 exporter announces 1:256 in an option record nfcapd 1.7.1 does not
    apply: its records arrive unsampled, and the inventory's interval scales them."""
    folder = REALDATA / "exporters" / "pmacct-104-IPFIXv10-IPv6-CISCO-sampling_option"
    with nfcapd_collector(tmp_path / "nfcapd") as port:
        replay_udp(folder / "traffic-00.pcap", port)
    (nfcapd_file,) = nfcapd_files(tmp_path / "nfcapd")
    json_path = tmp_path / "flows.json"
    assert nfdump.dump_nfcapd_json(nfcapd_file, json_path)
    for exporter_sampling, expected in (
        ({"127.0.0.1": 256}, [("127.0.0.1", 256, False, "exporter_config")]),
        ({}, [("127.0.0.1", 1, True, "unknown")]),
    ):
        source = FlowSource(name="r", format="nfcapd", path="", exporter_sampling=exporter_sampling)
        parsed = nfdump.nfcapd_json_sql(source, nfcapd_file, json_path)
        assert con.execute(f"select distinct {SAMPLING} from ({parsed})").fetchall() == expected


@NO_REAL_COLLECTOR
def test_real_nfcapd_week_shows_each_exporters_origin(tmp_path: Path, new_warehouse) -> None:
    """softflowd samples the Zoom capture 1:4 but tells nfcapd nothing: the week warns until
    the exporter's interval is configured, nfcapd's own `-s 4` makes it the collector's."""
    week = AnalysisWeek(date(2019, 9, 23))
    capture = REALDATA / "traffic" / "zoom.pcap"
    verdicts = {}
    for collector_rate, exporter_sampling in ((None, {}), (None, {"127.0.0.1": 4}), (4, {})):
        folder = tmp_path / f"nfcapd-{collector_rate}-{len(exporter_sampling)}"
        with nfcapd_collector(folder, sampling_interval=collector_rate) as port:
            softflowd_export(capture, port, 4, tmp_path / "softflowd")
        source = {"name": "zoom", "format": "nfcapd", "path": f"{folder}/nfcapd.*"}
        config = SourcesConfig.model_validate(
            {
                "kind": "files",
                "files": {"flows": [{**source, "exporter_sampling": exporter_sampling}]},
            }
        )
        con = new_warehouse()
        load_week(con, week, config, "test-run")
        batch = CHECK.fetch(con, week)
        verdicts[collector_rate, bool(exporter_sampling)] = (
            validate_batch(batch, CHECK.suite).success,
            batch.scope.split(": ", 1)[1],
        )
    assert verdicts == {
        (None, False): (False, "127.0.0.1 1:1 (unknown)"),
        (None, True): (True, "127.0.0.1 1:4 (exporter_config)"),
        (4, False): (True, "127.0.0.1 1:4 (collector)"),
    }
