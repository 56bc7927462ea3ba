"""The raw lake: the weekly raw tables as Hive-partitioned Parquet that both engines read,
replaced a week at a time together with the warehouse transaction that marks it loaded."""

import json
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from dagster_project.sources import raw_lake
from dagster_project.sources.raw_schema import FLOWS, MONTHLY_TOTALS, USAGE_COUNTERS
from dagster_project.sources.raw_tables import ensure_raw_tables, transaction
from dagster_project.warehouse import week_status
from tests.support.raw_weeks import new_rows, store

WEEK = date(2024, 6, 3)
OTHER_WEEK = date(2024, 6, 10)


@pytest.fixture
def con(new_warehouse) -> duckdb.DuckDBPyConnection:
    con = new_warehouse()
    ensure_raw_tables(con)
    return con


def counters(con: duckdb.DuckDBPyConnection, *rows: tuple[date, str]) -> str:
    """A relation of usage counters, one row per (week, subscriber)."""
    relation = new_rows(con, USAGE_COUNTERS)
    for week, subscriber in rows:
        con.execute(
            f"insert into {relation} values (?, ?, 'mobile', 'mobile', 'personal', ?, 1, 2, 'f')",
            [week, subscriber, week],
        )
    return relation


def subscribers(con: duckdb.DuckDBPyConnection) -> list[tuple[date, str]]:
    return con.execute(
        "select week_start, subscriber_id from raw.usage_counters order by all"
    ).fetchall()


def test_an_empty_lake_reads_as_empty_tables_of_the_declared_types(con):
    assert con.execute("select count(*) from raw.flows").fetchone() == (0,)
    types = con.execute("select column_type from (describe raw.monthly_totals)").fetchall()
    assert [t for (t,) in types] == ["DATE", "VARCHAR", "VARCHAR", "VARCHAR", "HUGEINT", "VARCHAR"]


def test_each_week_has_its_own_folder_and_reads_back_through_the_view(con):
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_a"), (OTHER_WEEK, "sub_b"))})
    root = raw_lake.lake_dir(con)
    folder = root / "usage_counters" / "week_start=2024-06-03"
    assert [p.name for p in folder.iterdir()] == ["part-0.parquet"]
    rows = con.execute(
        f"select week_start, subscriber_id from read_parquet('{folder}/*.parquet', "
        "hive_partitioning = true)"
    ).fetchall()
    assert rows == [(WEEK, "sub_a")]
    assert subscribers(con) == [(WEEK, "sub_a"), (OTHER_WEEK, "sub_b")]
    types = dict(
        con.execute("select column_name, column_type from (describe raw.flows)").fetchall()
    )
    assert types["week_start"] == "DATE" and types["src_port"] == "INTEGER"
    assert not list(root.glob("_*/*")), "nothing staged is left"


def test_the_lake_is_written_in_parquet_2(con):
    # its delta-coded integers and timestamps are what make the week's files quicker to write
    # and to read than Parquet 1's plain values
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_a"), (WEEK, "sub_b"))})
    files = raw_lake.lake_dir(con) / "usage_counters" / "*" / "*.parquet"
    versions = con.execute(
        f"select distinct format_version from parquet_file_metadata('{files}')"
    ).fetchall()
    assert versions == [(2,)]


def test_replacing_a_week_replaces_it_exactly_and_leaves_other_weeks(con):
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_a"), (OTHER_WEEK, "sub_b"))})
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_c"))})
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_c"))})
    assert subscribers(con) == [(WEEK, "sub_c"), (OTHER_WEEK, "sub_b")]


def test_monthly_totals_keep_integers_beyond_64_bits(con):
    big = 2**70 + 1  # beyond 64 bits, and beyond a double's 53
    con.execute(
        "create temp table totals as select '2024-06-01'::date as month, 'mobile' as service, "
        f"'mobile' as access, 'OUT' as direction, {big}::hugeint as bytes, 'm' as source_file"
    )
    assert raw_lake.replace_whole(con, MONTHLY_TOTALS, "totals") == 1
    assert con.execute("select bytes from raw.monthly_totals").fetchone() == (big,)
    stored = raw_lake.lake_dir(con) / "monthly_totals" / "part-0.parquet"
    assert con.execute(f"select bytes from '{stored}'").fetchone() == (Decimal(big),)


def test_a_null_in_a_not_null_column_is_refused_naming_table_and_column(con):
    relation = counters(con, (WEEK, "sub_a"))
    store(con, {USAGE_COUNTERS: relation})
    con.execute(f"update {relation} set day = null")
    with pytest.raises(ValueError, match=r"raw.usage_counters: .*day \(1 rows\)"):
        store(con, {USAGE_COUNTERS: relation}, run_id="bad")
    assert subscribers(con) == [(WEEK, "sub_a")]


def test_a_failed_transaction_puts_the_old_week_back(con):
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_a"))})
    new = counters(con, (WEEK, "sub_b"), (OTHER_WEEK, "sub_new_week"))
    for week in (WEEK, OTHER_WEEK):
        with (
            pytest.raises(RuntimeError, match="commit failed"),
            raw_lake.incoming_week(con, week) as incoming,
        ):
            incoming.write(USAGE_COUNTERS, f"(from {new} where week_start = '{week}')")
            with incoming.swapped_in("failing"):
                raise RuntimeError("commit failed")
    assert subscribers(con) == [(WEEK, "sub_a")]
    assert not (raw_lake.lake_dir(con) / "usage_counters" / "week_start=2024-06-10").exists()
    assert not list(raw_lake.lake_dir(con).glob("_*/*"))


def interrupted_swap(con, subscriber: str, run_id: str) -> None:
    """What a process killed between the swap and the end of its load leaves behind."""
    root = raw_lake.lake_dir(con)
    new = counters(con, (WEEK, subscriber))
    raw_lake.IncomingWeek(con, WEEK).write(USAGE_COUNTERS, new)
    raw_lake._swap_in(root, WEEK, [USAGE_COUNTERS.name], run_id)


def test_a_swap_whose_load_did_not_commit_is_undone_by_the_next_writer(con):
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_a"))}, run_id="first")
    interrupted_swap(con, "sub_b", "killed")
    ensure_raw_tables(con)
    assert subscribers(con) == [(WEEK, "sub_a")]
    assert not list(raw_lake.lake_dir(con).glob("_*/*"))


def test_a_swap_whose_load_committed_is_finished_by_the_next_writer(con):
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_a"))}, run_id="first")
    interrupted_swap(con, "sub_b", "committed")
    week_status.mark_loaded(con, WEEK, "committed")  # its transaction got through
    assert raw_lake.recover(con, raw_lake.lake_dir(con)) == [WEEK]
    raw_lake.refresh_views(con, raw_lake.lake_dir(con))
    assert subscribers(con) == [(WEEK, "sub_b")]
    assert not list(raw_lake.lake_dir(con).glob("_*/*"))


def test_a_swap_interrupted_before_the_new_week_moved_in_keeps_the_old(con):
    store(con, {USAGE_COUNTERS: counters(con, (WEEK, "sub_a"))}, run_id="first")
    root = raw_lake.lake_dir(con)
    raw_lake.IncomingWeek(con, WEEK).write(USAGE_COUNTERS, counters(con, (WEEK, "sub_b")))
    marker = root / "_swaps" / WEEK.isoformat()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"run_id": "killed", "tables": ["usage_counters"]}))
    outgoing = root / "_outgoing" / WEEK.isoformat()
    outgoing.mkdir(parents=True)
    (root / "usage_counters" / "week_start=2024-06-03").rename(outgoing / "usage_counters")
    ensure_raw_tables(con)
    assert subscribers(con) == [(WEEK, "sub_a")]


def test_the_cut_rewrites_only_the_weeks_file(con):
    flows = new_rows(con, FLOWS)
    for week in (WEEK, OTHER_WEEK):
        con.execute(
            f"insert into {flows} values (?, '2024-06-03 01:00', '2024-06-03 01:01', 0, 5, 0, 6,"
            " 1, 2, 6, 100, 1, 1, false, 'record', 'broadband', 'r', 'f', 1)",
            [week],
        )
    store(con, {FLOWS: flows})
    raw_lake.rewrite_week(con, FLOWS, WEEK, {"src_addr_lo": "src_addr_lo * 10"})
    rows = con.execute("select week_start, src_addr_lo, dst_addr_lo from raw.flows order by 1")
    assert rows.fetchall() == [(WEEK, 50, 6), (OTHER_WEEK, 5, 6)]
    # the file keeps its columns: week_start stays in the folder name (Spark, finding it in
    # the file, would no longer see the folders as partitions)
    stored = raw_lake.week_folder(raw_lake.lake_dir(con), "flows", WEEK) / "part-0.parquet"
    columns = con.execute(f"select name from parquet_schema('{stored}')").fetchall()
    assert ("week_start",) not in columns and ("src_addr_lo",) in columns
    # nothing is left behind where the files were rewritten (regression: empty folders)
    assert not (raw_lake.lake_dir(con) / "_rewriting").exists()


def load_in_parts(con, week: date, parts: list[list[str]], run_id: str = "parts") -> None:
    """One load of the week's counters handed over in several parts (a file each)."""
    relations = []
    for number, part in enumerate(parts):
        relation = counters(con, *((week, s) for s in part))
        con.execute(f"create or replace temp table part_{number} as from {relation}")
        relations.append(f"part_{number}")
    with raw_lake.incoming_week(con, week) as incoming:
        for relation in relations:
            incoming.write(USAGE_COUNTERS, relation)
        with incoming.swapped_in(run_id), transaction(con):
            week_status.mark_loaded(con, week, run_id)


def test_a_week_handed_over_in_parts_is_one_week_and_is_replaced_whole(con):
    load_in_parts(con, WEEK, [["sub_a"], ["sub_b"], ["sub_c"]])
    folder = raw_lake.week_folder(raw_lake.lake_dir(con), "usage_counters", WEEK)
    assert sorted(p.name for p in folder.iterdir()) == [f"part-{n}.parquet" for n in range(3)]
    assert subscribers(con) == [(WEEK, "sub_a"), (WEEK, "sub_b"), (WEEK, "sub_c")]
    load_in_parts(con, WEEK, [["sub_d"]])  # fewer parts: none of the earlier ones stays
    assert [p.name for p in folder.iterdir()] == ["part-0.parquet"]
    assert subscribers(con) == [(WEEK, "sub_d")]


def test_a_part_refused_midway_leaves_the_old_week_and_nothing_incoming(con):
    load_in_parts(con, WEEK, [["sub_a"]])
    con.execute(f"create temp table good as from {counters(con, (WEEK, 'sub_b'))}")
    bad = counters(con, (WEEK, "sub_c"))
    con.execute(f"update {bad} set day = null")
    with pytest.raises(ValueError, match="null values"), raw_lake.incoming_week(con, WEEK) as week:
        week.write(USAGE_COUNTERS, "good")
        week.write(USAGE_COUNTERS, bad)
    assert subscribers(con) == [(WEEK, "sub_a")]
    assert not list(raw_lake.lake_dir(con).glob("_*/*"))


def test_labels_are_written_through_an_enum_and_read_back_as_text(con):
    relation = counters(con, (WEEK, "sub_a"), (WEEK, "sub_b"))
    labels = {"service": ["broadband", "mobile"], "access": ["mobile"], "source_file": ["f"]}
    assert "cast(service as enum('broadband', 'mobile'))" in raw_lake.parquet_columns_sql(
        USAGE_COUNTERS, labels
    )
    with raw_lake.incoming_week(con, WEEK) as incoming:
        incoming.write(USAGE_COUNTERS, relation, labels)
        with incoming.swapped_in("labelled"), transaction(con):
            week_status.mark_loaded(con, WEEK, "labelled")
    stored = con.execute(
        "select typeof(service), service, access, customer_class, source_file "
        "from raw.usage_counters"
    ).fetchall()
    assert stored == [("VARCHAR", "mobile", "mobile", "personal", "f")] * 2


def test_a_value_outside_its_labels_is_refused(con):
    relation = counters(con, (WEEK, "sub_a"))
    refused = pytest.raises(duckdb.ConversionException, match="'mobile'")
    with refused, raw_lake.incoming_week(con, WEEK) as incoming:
        incoming.write(USAGE_COUNTERS, relation, {"service": ["broadband"]})
    assert not list(raw_lake.lake_dir(con).glob("_*/*"))


def test_a_table_handed_nothing_gets_an_empty_week(con):
    load_in_parts(con, WEEK, [["sub_a"]])
    with raw_lake.incoming_week(con, WEEK) as incoming:
        incoming.write_empty([USAGE_COUNTERS])
        with incoming.swapped_in("empty"), transaction(con):
            week_status.mark_loaded(con, WEEK, "empty")
    assert subscribers(con) == []
    types = dict(
        con.execute("select column_name, column_type from (describe raw.usage_counters)").fetchall()
    )
    assert types["day"] == "DATE"


def test_the_cut_rewrites_every_file_of_the_week(con):
    load_in_parts(con, WEEK, [["sub_a"], ["sub_b"]])
    raw_lake.rewrite_week(con, USAGE_COUNTERS, WEEK, {"bytes_in": "bytes_in * 10"})
    rows = con.execute("select subscriber_id, bytes_in from raw.usage_counters order by 1")
    assert rows.fetchall() == [("sub_a", 10), ("sub_b", 10)]
    assert not list(raw_lake.lake_dir(con).glob("_rewriting/*/*/*"))


def test_raw_tables_an_earlier_version_kept_in_the_warehouse_move_to_the_lake(new_warehouse):
    con = new_warehouse()
    con.execute("create schema raw")
    con.execute(USAGE_COUNTERS.create_sql())
    con.execute(
        "insert into raw.usage_counters values (?, 's', 'mobile', 'mobile', 'personal', ?, 1, 2,"
        " 'f'), (?, 't', 'mobile', 'mobile', 'personal', ?, 1, 2, 'f')",
        [WEEK, WEEK, OTHER_WEEK, OTHER_WEEK],
    )
    ensure_raw_tables(con)
    assert subscribers(con) == [(WEEK, "s"), (OTHER_WEEK, "t")]
    kinds = con.execute(
        "select table_type from information_schema.tables where table_name = 'usage_counters'"
    ).fetchall()
    assert kinds == [("VIEW",)]
    assert (raw_lake.lake_dir(con) / "usage_counters" / "week_start=2024-06-10").is_dir()


def test_the_warehouse_transaction_and_the_lake_change_together(con):
    """The load's pattern: the swap stands when the transaction inside it commits."""
    relation = counters(con, (WEEK, "sub_a"))
    with raw_lake.incoming_week(con, WEEK) as incoming:
        incoming.write(USAGE_COUNTERS, relation)
        with incoming.swapped_in("run-1"), transaction(con):
            week_status.mark_loaded(con, WEEK, "run-1")
    assert week_status.status_of(con, [WEEK])[WEEK].load_run_id == "run-1"
    assert subscribers(con) == [(WEEK, "sub_a")]
