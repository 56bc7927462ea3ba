"""Loading a week from file sources: quarantine, provenance, atomic and exact replacement."""

import re
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources.pseudonyms import pseudonym
from dagster_project.sources.readers import UnreadableFileError
from dagster_project.sources.readers.table_files import BadRowError
from dagster_project.sources.source_config import load_sources_config
from dagster_project.sources.week_load import LoadReport, load_monthly_totals, load_week
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests.conftest import TEST_PSEUDONYM_KEY
from tests.support.flowtools import missing_programs, realdata_dir

REALDATA = realdata_dir()

WEEK = date(2024, 6, 3)
GOFLOW2_RECORD = (
    '{{"sampling_rate":{rate},"sampler_address":"192.0.2.1","time_flow_start_ns":{start},'
    '"time_flow_end_ns":{start},"bytes":{size},"packets":1,"src_addr":"10.0.0.1",'
    '"dst_addr":"198.51.100.7","proto":"TCP","src_port":50000,"dst_port":443}}'
)
IN_WEEK_NS = 1717502400 * 10**9  # 2024-06-04 12:00 UTC
LAST_WEEK_NS = 1717070400 * 10**9  # 2024-05-30 12:00 UTC


@pytest.fixture
def sources_dir(tmp_path: Path) -> Path:
    """Flows, assignments and counters for the week of 2024-06-03, with some bad records."""
    (tmp_path / "goflow2.json").write_text(
        "\n".join(
            [
                GOFLOW2_RECORD.format(rate=100, start=IN_WEEK_NS, size=1500),
                GOFLOW2_RECORD.format(rate=100, start=IN_WEEK_NS, size=500),
                GOFLOW2_RECORD.format(rate=0, start=IN_WEEK_NS, size=900),
                GOFLOW2_RECORD.format(rate=100, start=LAST_WEEK_NS, size=700),
                '{"sampling_rate":100,"bytes"',
            ]
        )
        + "\n"
    )
    (tmp_path / "assignments.csv").write_text(
        "subscriber_id,service,access,customer_class,address,valid_from,valid_to\n"
        "sub-1,broadband,pppoe,personal,10.0.0.1,2024-06-01 00:00:00,\n"
        "sub-2,broadband,pppoe,personal,2001:db8:1::/48,2024-06-01 00:00:00,2024-06-05 00:00:00\n"
        "sub-3,broadband,pppoe,personal,10.0.0.3,2024-01-01 00:00:00,2024-02-01 00:00:00\n"
        "sub-4,broadband,dialup,personal,10.0.0.4,2024-06-01 00:00:00,\n"
        "sub-5,broadband,pppoe,personal,10.0.0.500,2024-06-01 00:00:00,\n"
    )
    (tmp_path / "usage_counters.csv").write_text(
        "subscriber_id,service,access,customer_class,day,bytes_in,bytes_out\n"
        "0901234,mobile,mobile,personal,2024-06-03,1000,20000\n"
        "0901234,mobile,mobile,personal,2024-06-10,1000,20000\n"
        "0901234,mobile,mobile,personal,2024-06-04,-5,20000\n"
    )
    (tmp_path / "monthly_totals.csv").write_text(
        "month,service,access,direction,bytes\n"
        "2024-06-01,broadband,pppoe,IN,1000\n"
        "2024-06-01,broadband,pppoe,OUT,9000\n"
    )
    (tmp_path / "sources.yaml").write_text(
        "kind: files\n"
        "files:\n"
        "  flows:\n"
        "    - {name: core, format: goflow2_json, path: goflow2.json, service: broadband}\n"
        "  assignments:\n"
        "    - {name: radius, format: csv, path: assignments.csv}\n"
        "  usage_counters:\n"
        "    - {name: billing, format: csv, path: usage_counters.csv}\n"
        "  monthly_totals:\n"
        "    - {name: counters, format: csv, path: monthly_totals.csv}\n"
    )
    return tmp_path


def load(sources_dir: Path, warehouse: Path):
    config = load_sources_config(sources_dir / "sources.yaml")
    with duckdb.connect(str(warehouse)) as con:
        return load_week(con, AnalysisWeek(WEEK), config, "test-run")


def table(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_week_loads_good_records_and_quarantines_the_rest(sources_dir, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    report = load(sources_dir, warehouse)

    assert report.rows == {"flows": 2, "assignments": 2, "usage_counters": 1, "quarantine": 7}
    assert table(
        warehouse,
        "select bytes, sampling_interval, counts_scaled from raw.flows order by source_row",
    ) == [
        (1500, 100, False),
        (500, 100, False),
    ]
    # subscriber ids are stored as pseudonyms under the key
    assert table(warehouse, "select subscriber_id from raw.assignments order by 1") == sorted(
        (pseudonym(TEST_PSEUDONYM_KEY.encode(), subscriber),) for subscriber in ("sub-1", "sub-2")
    )
    goflow2 = str(sources_dir / "goflow2.json")
    assert table(
        warehouse,
        "select source_file, source_row, reason from raw.quarantine "
        "where source = 'flows' order by source_row",
    ) == [
        (goflow2, 3, "sampling rate 0 and no sampling_interval configured"),
        (goflow2, 4, "outside the partition week"),
        (goflow2, 5, "malformed record: not a JSON object"),
    ]
    assert report.quarantined == {
        "sampling rate 0 and no sampling_interval configured": 1,
        "outside the partition week": 2,
        "malformed record: not a JSON object": 1,
        "unknown service, access or class": 1,
        "unparseable address": 1,
        "negative counts": 1,
    }
    assert report.provenance["source"] == "real"
    assert report.provenance["sources"] == (
        "core (goflow2_json flows), radius (csv assignments), billing (csv usage_counters)"
    )
    assert report.provenance["files"] == "3"
    # files are named relative to the source's folder, never with the machine's layout
    assert report.provenance["source/core"] == (
        "goflow2_json flows: 1 file(s), 2 rows, 3 quarantined [goflow2.json]"
    )


def test_reloading_a_week_replaces_it_exactly(sources_dir, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    first = load(sources_dir, warehouse)
    second = load(sources_dir, warehouse)
    assert first.rows == second.rows
    assert table(warehouse, "select count(*) from raw.flows") == [(2,)]
    assert table(warehouse, "select count(*) from raw.quarantine") == [(7,)]


def test_an_unreadable_file_fails_the_load_and_keeps_the_week(sources_dir, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    load(sources_dir, warehouse)
    broken = sources_dir / "broken.parquet"
    broken.write_bytes(b"PAR1 cut short")
    config_path = sources_dir / "sources.yaml"
    config_path.write_text(
        config_path.read_text().replace(
            "  assignments:\n",
            "    - {name: extra, format: canonical_parquet, path: broken.parquet}\n"
            "  assignments:\n",
        )
    )
    with pytest.raises(UnreadableFileError, match=r"broken\.parquet"):
        load(sources_dir, warehouse)
    assert table(warehouse, "select count(*) from raw.flows") == [(2,)]


@pytest.mark.skipif(
    REALDATA is None or bool(missing_programs("nfpcapd", "nfdump")),
    reason="needs shared/realdata and nfdump (scripts/install_system_packages.sh installs it)",
)
def test_a_truncated_nfcapd_file_fails_naming_it(sources_dir, tmp_path):
    """nfdump refuses a cut nfcapd file (it ends in an appendix); the load names the file."""
    written = tmp_path / "nfpcapd"
    written.mkdir()
    subprocess.run(
        ["nfpcapd", "-r", str(REALDATA / "traffic" / "zoom.pcap"), "-l", str(written)],
        check=True, capture_output=True,
    )  # fmt: skip
    whole = next(written.glob("nfcapd.*"))
    cut = sources_dir / f"{whole.name}.cut"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    (sources_dir / "sources.yaml").write_text(
        "kind: files\nfiles:\n  flows:\n"
        f"    - {{name: bras, format: nfcapd, path: '{cut.name}', sampling_interval: 8}}\n"
    )
    with pytest.raises(UnreadableFileError, match=re.escape(str(cut))):
        load(sources_dir, tmp_path / "warehouse.duckdb")


def test_monthly_totals_load_and_a_bad_row_names_file_and_row(sources_dir, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    config = load_sources_config(sources_dir / "sources.yaml")
    with duckdb.connect(str(warehouse)) as con:
        assert load_monthly_totals(con, config).rows == {"monthly_totals": 2}
    totals = sources_dir / "monthly_totals.csv"
    totals.write_text(totals.read_text() + "2024-06-01,broadband,pppoe,SIDEWAYS,5\n")
    with duckdb.connect(str(warehouse)) as con, pytest.raises(BadRowError, match="row 4"):
        load_monthly_totals(con, config)


def test_a_source_without_files_fails_naming_the_pattern(sources_dir, tmp_path):
    (sources_dir / "goflow2.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"goflow2\.json"):
        load(sources_dir, tmp_path / "warehouse.duckdb")


def test_parquet_tables_load_like_csv(sources_dir, tmp_path):
    for name in ("assignments", "usage_counters"):
        with duckdb.connect() as con:
            csv_path, parquet_path = sources_dir / f"{name}.csv", sources_dir / f"{name}.parquet"
            con.execute(
                f"copy (select * from read_csv('{csv_path}', all_varchar = true)) "
                f"to '{parquet_path}' (format parquet)"
            )
    config_path = sources_dir / "sources.yaml"
    config_path.write_text(
        config_path.read_text()
        .replace("format: csv, path: assignments.csv", "format: parquet, path: assignments.parquet")
        .replace(
            "format: csv, path: usage_counters.csv", "format: parquet, path: usage_counters.parquet"
        )
    )
    report = load(sources_dir, tmp_path / "warehouse.duckdb")
    assert report.rows == {"flows": 2, "assignments": 2, "usage_counters": 1, "quarantine": 7}


def test_each_flow_file_is_written_as_the_next_file_of_the_week_as_it_is_read(
    sources_dir, tmp_path
):
    """The flows of a week are never staged whole: each input file's go to their own file."""
    first = (sources_dir / "goflow2.json").read_text().splitlines()
    (sources_dir / "goflow2-b.json").write_text(
        GOFLOW2_RECORD.format(rate=10, start=IN_WEEK_NS, size=42) + "\n"
    )
    (sources_dir / "goflow2-a.json").write_text("\n".join(first) + "\n")
    (sources_dir / "goflow2.json").unlink()
    config_path = sources_dir / "sources.yaml"
    config_path.write_text(config_path.read_text().replace("goflow2.json", "goflow2-*.json"))
    warehouse = tmp_path / "warehouse.duckdb"

    report = load(sources_dir, warehouse)

    assert report.rows["flows"] == 3
    files = table(
        warehouse,
        "select parse_filename(filename), list(distinct parse_filename(source_file) order by 1), "
        "count(*) from read_parquet("
        f"'{tmp_path}/raw/flows/week_start={WEEK}/*.parquet', filename = true) "
        "group by all order by all",
    )
    assert [(sources, rows) for _, sources, rows in files] == [
        (["goflow2-a.json"], 2),
        (["goflow2-b.json"], 1),
    ]


def test_a_phase_timed_inside_another_is_not_counted_twice(monkeypatch):
    clock = iter([0.0, 1.0, 4.0, 10.0])  # outer starts, inner starts, inner ends, outer ends
    monkeypatch.setattr("dagster_project.sources.week_load.time.perf_counter", lambda: next(clock))
    report = LoadReport()
    with report.timed("read files"), report.timed("write flows"):
        pass
    assert report.seconds == {"write flows": 3.0, "read files": 7.0}
