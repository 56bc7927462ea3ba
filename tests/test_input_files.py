"""Which files a week reads: each complete file once, by its literal name, never a copy twice.

Each test reproduces a way real exports gave a wrong answer with a green run: a file
delivered twice doubled the volumes, a name with glob characters was read as a pattern
(`flows[1].csv` never read, `flows1.csv` read twice), and nfcapd's unfinished
`nfcapd.current.<pid>` was read and listed as a source.
"""

import logging
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.sources.inbox import InboxFile, Zones, scan_inbox, weeks_of_file
from dagster_project.sources.readers import DuplicateInputError, is_unfinished
from dagster_project.sources.source_config import load_sources_config
from dagster_project.sources.week_load import LoadReport, load_week
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK = date(2024, 6, 3)
NFDUMP_HEADER = "firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows\n"
ASSIGNMENTS_HEADER = "subscriber_id,service,access,customer_class,address,valid_from,valid_to\n"


def nfdump_csv(*sizes: int) -> str:
    """An nfdump >= 1.7.5 CSV export with one flow of each size inside the week."""
    line = "2024-06-04 12:00:00.250,1.500,6,10.0.0.1,50000,192.0.2.9,443,1,{size},1\n"
    return NFDUMP_HEADER + "".join(line.format(size=size) for size in sizes)


def flow_source(name: str, path: str, extra: str = "") -> str:
    return (
        f"    - {{name: {name}, format: nfdump_csv, path: '{path}', counts_scaled: true{extra}}}\n"
    )


def write_config(folder: Path, flows: str, tables: str = "") -> Path:
    config = folder / "sources.yaml"
    config.write_text(f"kind: files\nfiles:\n  flows:\n{flows}{tables}")
    return config


def load(config: Path) -> tuple[LoadReport, list[tuple]]:
    """Load the week into a warehouse beside the config; the report and (source_file, bytes)
    of every loaded flow."""
    with duckdb.connect(str(config.parent / "warehouse.duckdb")) as con:
        report = load_week(con, AnalysisWeek(WEEK), load_sources_config(config), "test-run")
        flows = con.execute("select source_file, bytes from raw.flows order by all").fetchall()
    return report, flows


def test_a_copy_under_another_name_is_refused_naming_both(tmp_path: Path):
    (tmp_path / "flows-a.csv").write_text(nfdump_csv(1000, 2000))
    (tmp_path / "flows-a-copy.csv").write_text(nfdump_csv(1000, 2000))
    config = write_config(tmp_path, flow_source("bras", "flows-*.csv"))

    with pytest.raises(DuplicateInputError) as refused:
        load(config)
    message = str(refused.value)
    assert str(tmp_path / "flows-a.csv") in message
    assert str(tmp_path / "flows-a-copy.csv") in message
    assert "source bras" in message and "allow_duplicate_files" in message


def test_a_file_matched_by_two_sources_is_refused_naming_both_sources(tmp_path: Path):
    (tmp_path / "flows.csv").write_text(nfdump_csv(1000))
    extra = ", allow_duplicate_files: true"  # even then: one file read twice is never right
    config = write_config(
        tmp_path,
        flow_source("bras-east", "flows.csv", extra) + flow_source("bras-all", "*.csv", extra),
    )

    with pytest.raises(DuplicateInputError, match="bras-east") as refused:
        load(config)
    assert "source bras-all" in str(refused.value)


def test_identical_assignments_and_counters_files_are_refused(tmp_path: Path):
    (tmp_path / "flows.csv").write_text(nfdump_csv(1000))
    table = ASSIGNMENTS_HEADER + "sub-1,broadband,pppoe,personal,10.0.0.1,2024-06-01 00:00:00,\n"
    (tmp_path / "assignments.csv").write_text(table)
    (tmp_path / "counters.csv").write_text(table)
    tables = (
        "  assignments:\n    - {name: radius, format: csv, path: assignments.csv}\n"
        "  usage_counters:\n    - {name: billing, format: csv, path: counters.csv}\n"
    )
    config = write_config(tmp_path, flow_source("bras", "flows.csv"), tables)

    with pytest.raises(DuplicateInputError) as refused:
        load(config)
    message = str(refused.value)
    assert "assignments.csv (source radius, assignments)" in message
    assert "counters.csv (source billing, usage_counters)" in message


def test_a_source_that_expects_repeats_loads_them_and_provenance_has_each_digest(
    tmp_path: Path,
):
    (tmp_path / "flows-a.csv").write_text(nfdump_csv(1000))
    (tmp_path / "flows-b.csv").write_text(nfdump_csv(1000))
    (tmp_path / "empty-1.csv").write_text("")
    (tmp_path / "empty-2.csv").write_text("")  # empty files are never a double count
    # An idle exporter's header-only exports are identical every time: nothing to count twice.
    (tmp_path / "empty-3.csv").write_text(nfdump_csv())
    (tmp_path / "empty-4.csv").write_text(nfdump_csv())
    config = write_config(
        tmp_path,
        flow_source("bras", "flows-*.csv", ", allow_duplicate_files: true")
        + flow_source("idle", "empty-*.csv"),
    )

    report, flows = load(config)

    assert [size for _, size in flows] == [1000, 1000]
    digests = report.provenance["blake2b/bras"]
    assert digests.startswith("flows-a.csv ") and ", flows-b.csv " in digests
    shown = [entry.split(" ")[1] for entry in digests.split(", ")]
    assert len(set(shown)) == 1 and len(shown[0]) == 12


def test_names_with_glob_characters_are_read_once_by_their_literal_name(tmp_path: Path):
    for name, size in (("flows[1].csv", 100), ("flows1.csv", 200), ("flows*.csv", 300)):
        (tmp_path / name).write_text(nfdump_csv(size))
    config = write_config(tmp_path, flow_source("bras", "flows*.csv"))

    report, flows = load(config)

    assert sorted(flows) == sorted(
        [
            (str(tmp_path / "flows[1].csv"), 100),
            (str(tmp_path / "flows1.csv"), 200),
            (str(tmp_path / "flows*.csv"), 300),
        ]
    )
    assert report.provenance["files"] == "3"


def test_a_parquet_file_with_glob_characters_is_read_by_its_literal_name(tmp_path: Path):
    canonical = {
        "flow_start": ["2024-06-04 12:00:00"],
        "flow_end": ["2024-06-04 12:00:01"],
        "src_addr": ["10.0.0.1"],
        "dst_addr": ["192.0.2.9"],
        "src_port": [50000],
        "dst_port": [443],
        "protocol": [6],
        "packets": [1],
        "sampling_interval": [1],
        "counts_scaled": [True],
        "service": ["broadband"],
        "exporter": ["bras"],
    }
    pd.DataFrame({**canonical, "bytes": [100]}).to_parquet(tmp_path / "flows[1].parquet")
    pd.DataFrame({**canonical, "bytes": [200]}).to_parquet(tmp_path / "flows1.parquet")
    config = write_config(
        tmp_path, "    - {name: bras, format: canonical_parquet, path: 'flows[[]1].parquet'}\n"
    )

    _, flows = load(config)

    assert flows == [(str(tmp_path / "flows[1].parquet"), 100)]


def test_the_inbox_dates_a_file_by_its_literal_name(tmp_path: Path):
    (tmp_path / "flows[1].csv").write_text(nfdump_csv(100))
    # A neighbour the pattern `flows[1].csv` would match, from another week.
    (tmp_path / "flows1.csv").write_text(nfdump_csv(200).replace("2024-06-04", "2023-01-04"))
    file = InboxFile("flows[1].csv", changed_ns=0, size=0)

    assert weeks_of_file(tmp_path, file, Zones("UTC", "UTC")) == [WEEK]


def test_unfinished_collector_files_are_skipped_and_said_so(tmp_path: Path, caplog):
    (tmp_path / "nfcapd.202406041200").write_text(nfdump_csv(1000))
    (tmp_path / "nfcapd.current.4242").write_text(nfdump_csv(7))  # nfcapd is still writing
    config = write_config(tmp_path, flow_source("bras", "nfcapd.*"))

    with caplog.at_level(logging.WARNING):
        report, flows = load(config)

    assert flows == [(str(tmp_path / "nfcapd.202406041200"), 1000)]
    assert report.provenance["files"] == "1"
    assert "nfcapd.current" not in report.provenance["source/bras"]
    assert report.provenance["unfinished/bras"] == (
        "1 file(s) skipped, still being written: nfcapd.current.4242"
    )
    assert "skipped 1 unfinished file(s)" in caplog.text and "nfcapd.current.4242" in caplog.text


def test_a_source_with_only_unfinished_files_fails_saying_so(tmp_path: Path):
    (tmp_path / "nfcapd.current.4242").write_text(nfdump_csv(7))
    config = write_config(tmp_path, flow_source("bras", "nfcapd.*"))

    with pytest.raises(FileNotFoundError, match=r"1 unfinished file\(s\) skipped"):
        load(config)


def test_the_inbox_and_the_readers_share_one_rule_for_unfinished_files(tmp_path: Path):
    names = ["nfcapd.current.4242", "flows.csv.part", "upload.tmp", ".flows.csv", "flows.csv"]
    for name in names:
        (tmp_path / name).write_text("x")

    assert [file.name for file in scan_inbox(tmp_path)] == ["flows.csv"]
    assert [name for name in names if not is_unfinished(Path(name))] == ["flows.csv"]
