"""Dating inbox files by name or content, and the cursor that remembers handled files."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources.inbox import (
    InboxCursor,
    InboxFile,
    UndatableFileError,
    Zones,
    plan_inbox,
    scan_inbox,
    timezone_by_flow_source,
    weeks_of_file,
)
from dagster_project.sources.source_config import FlowSource

TZ = "Asia/Tokyo"
TOKYO = Zones(file=TZ, analysis=TZ)


def weeks(inbox: Path, name: str, zones: Zones = TOKYO) -> list[date]:
    return weeks_of_file(inbox, InboxFile(name, 0, 0), zones)


def test_nfcapd_names_are_times_of_the_source_zone(tmp_path: Path):
    assert weeks(tmp_path, "nfcapd.202406092355") == [date(2024, 6, 3)]
    assert weeks(tmp_path, "router1/nfcapd.202406100000") == [date(2024, 6, 10)]
    # A collector on UTC: Sunday 15:00 UTC is Monday 00:00 in Tokyo.
    utc_collector = Zones(file="UTC", analysis=TZ)
    assert weeks(tmp_path, "nfcapd.202406091459", utc_collector) == [date(2024, 6, 3)]
    assert weeks(tmp_path, "nfcapd.202406091500", utc_collector) == [date(2024, 6, 10)]


def test_a_week_folder_names_the_week(tmp_path: Path):
    assert weeks(tmp_path, "2024-06-03/flows.parquet") == [date(2024, 6, 3)]


def test_canonical_parquet_flow_start_is_utc(tmp_path: Path):
    path = tmp_path / "flows.parquet"
    duckdb.sql(
        "select timestamp '2024-06-02 15:00:00' as flow_start union all "
        "select timestamp '2024-06-16 14:59:59'"
    ).write_parquet(str(path))
    # Sunday 15:00 UTC is Monday 00:00 in Tokyo; the second row is Sunday 23:59:59 there.
    assert weeks(tmp_path, "flows.parquet") == [date(2024, 6, 3), date(2024, 6, 10)]


def test_goflow2_epoch_nanoseconds(tmp_path: Path):
    # 1717340400 s = 2024-06-02 15:00:00 UTC = Monday 2024-06-03 00:00 in Tokyo.
    (tmp_path / "goflow.json").write_text(
        '{"time_flow_start_ns": 1717340399000000000, "bytes": 1}\n'
        '{"time_flow_start_ns": 1717340400000000000, "bytes": 1}\n'
    )
    assert weeks(tmp_path, "goflow.json") == [date(2024, 5, 27), date(2024, 6, 3)]


def test_legacy_nfdump_csv_with_summary_block(tmp_path: Path):
    (tmp_path / "nfdump.csv").write_text(
        "ts,te,td,sa,da\n"
        "2024-06-05 10:00:00,2024-06-05 10:00:01,1.0,10.0.0.1,192.0.2.1\n"
        "Summary\n"
        "flows,bytes,packets,avg_bps,avg_pps,avg_bpp\n"
        "1,100,1,800,1,100\n"
    )
    assert weeks(tmp_path, "nfdump.csv") == [date(2024, 6, 3)]
    # The same local time from a collector on UTC is 19:00 in Tokyo, still that week.
    assert weeks(tmp_path, "nfdump.csv", Zones(file="UTC", analysis=TZ)) == [date(2024, 6, 3)]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", "hello", "no reader for its suffix"),
        ("table.csv", "a,b\n1,2\n", "no flow start column"),
        ("flows.csv", "flow_start\nnot a time\n", "no record has a readable flow_start"),
        ("broken.parquet", "not parquet", "broken.parquet"),
    ],
)
def test_undatable_files_say_why(tmp_path: Path, name: str, content: str, reason: str):
    (tmp_path / name).write_text(content)
    with pytest.raises(UndatableFileError, match=reason):
        weeks(tmp_path, name)


def test_cursor_remembers_files_with_the_same_change_time():
    first = InboxFile("a", 100, 1)
    second = InboxFile("b", 100, 1)
    cursor = InboxCursor().advanced_past([first])
    assert not cursor.is_new(first)
    assert cursor.is_new(second)
    cursor = cursor.advanced_past([second])
    assert cursor.names_at_mark == {"a", "b"}
    assert InboxCursor.parse(cursor.serialize()) == cursor
    assert not cursor.is_new(InboxFile("c", 99, 1))
    assert cursor.is_new(InboxFile("a", 101, 1))


def test_flow_sources_give_the_zone_of_the_files_they_read(tmp_path: Path):
    (tmp_path / "2024-06-03").mkdir()
    for name in ("2024-06-03/nfcapd.202406031200", "flows.json", "notes.txt"):
        (tmp_path / name).write_text("")
    sources = [
        FlowSource(
            name="tokyo",
            format="nfcapd",
            path=f"{tmp_path}/{{week_start}}/nfcapd.*",
            timezone=TZ,
        ),
        FlowSource(name="goflow", format="goflow2_json", path=f"{tmp_path}/*.json"),
    ]
    timezone_of = timezone_by_flow_source(sources)
    assert timezone_of(tmp_path / "2024-06-03" / "nfcapd.202406031200") == TZ
    assert timezone_of(tmp_path / "flows.json") == "UTC"
    assert timezone_of(tmp_path / "notes.txt") is None


def plan(inbox: Path, max_files: int = 10):
    return plan_inbox(
        inbox,
        InboxCursor(),
        first_week=date(2019, 1, 7),
        ready_from=date(2024, 6, 10),
        analysis_tz=TZ,
        file_timezone=lambda path: None if path.name == "unread.csv" else TZ,
        max_files=max_files,
    )


def test_plan_reads_at_most_max_files_and_sorts_weeks(tmp_path: Path):
    for name in ("nfcapd.202406051200", "nfcapd.201812310000", "nfcapd.202406120000"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "unread.csv").write_text("flow_start\n2024-06-03 00:00:00\n")
    everything = plan(tmp_path)
    assert list(everything.ready) == [date(2024, 6, 3)]
    assert list(everything.open_weeks) == [date(2024, 6, 10)]
    assert list(everything.outside) == [date(2018, 12, 31)]
    assert len(everything.undated) == 1 and "notes.txt" in everything.undated[0]
    assert everything.unread == ["unread.csv"]

    first_two = plan(tmp_path, max_files=2)
    handled = [f for f in scan_inbox(tmp_path) if not first_two.cursor.is_new(f)]
    assert len(handled) == 2
