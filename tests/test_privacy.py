"""Pseudonymous subscribers and addresses kept no longer than attribution needs them."""

import csv
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.sources import pseudonyms
from dagster_project.sources.address_numbers import halves_of, network_of
from dagster_project.sources.raw_schema import ASSIGNMENTS, FLOWS
from dagster_project.sources.source_config import SourcesConfig
from dagster_project.warehouse import address_retention, week_status
from tests.conftest import FIXTURES, PROJECT_ROOT
from tests.support.raw_weeks import new_rows, store

WEEK = date(2024, 6, 3)
KEY = b"0123456789abcdef-test-key"


def test_pseudonyms_are_stable_for_a_key_and_differ_between_keys():
    con = duckdb.connect()
    ids = ["sub-a", "090-1234-5678", "ü-ñ", "x" * 300]
    for key in (KEY, KEY + b"!", b"k" * 100):  # a key longer than SHA-256's block too
        con.execute(
            "create or replace table ids as select unnest(?) as subscriber_id, "
            "generate_subscripts(?, 1) as position",
            [ids, ids],
        )
        (view,) = pseudonyms.pseudonymized_views(con, ["ids"], "subscriber_id", key).values()
        hashed = [
            row[0]
            for row in con.execute(f"select subscriber_id from {view} order by position").fetchall()
        ]
        # the SQL form is HMAC-SHA256 (the Python reference), and stable run to run
        assert hashed == [pseudonyms.pseudonym(key, subscriber) for subscriber in ids]
        assert all(re.fullmatch(r"sub_[0-9a-f]{20}", value) for value in hashed)
    assert pseudonyms.pseudonym(KEY, "sub-a") != pseudonyms.pseudonym(KEY + b"!", "sub-a")


def test_a_table_with_an_id_on_many_rows_keeps_its_rows():
    """Regression: one table's ids were hashed without `distinct`, so a subscriber's every
    row joined each of its copies (rows multiplied by the rows per subscriber)."""
    con = duckdb.connect()
    con.execute("create table days as select 'sub-a' as subscriber_id, range as day from range(7)")
    con.execute("insert into days values (null, 7)")
    (view,) = pseudonyms.pseudonymized_views(con, ["days"], "subscriber_id", KEY).values()
    rows = con.execute(f"select subscriber_id, count(*) from {view} group by 1 order by 1")
    assert rows.fetchall() == [(pseudonyms.pseudonym(KEY, "sub-a"), 7), (None, 1)]


def test_real_data_without_a_usable_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonyms.KEY_ENV, raising=False)
    files = {"flows": [{"name": "f", "format": "canonical_csv", "path": "x.csv"}]}
    with pytest.raises(pseudonyms.PseudonymKeyError, match="TRAFFICREPORT_PSEUDONYM_KEY"):
        SourcesConfig(kind="files", files=files).pseudonym_key()
    short = tmp_path / "short.key"
    short.write_text("too short")
    config = SourcesConfig(kind="files", files=files, privacy={"key_file": str(short)})
    with pytest.raises(pseudonyms.PseudonymKeyError, match="at least 16"):
        config.pseudonym_key()
    inside = SourcesConfig(
        kind="files", files=files, privacy={"key_file": str(PROJECT_ROOT / "sources.yaml")}
    )
    with pytest.raises(pseudonyms.PseudonymKeyError, match="inside the repository"):
        inside.pseudonym_key()
    good = tmp_path / "good.key"
    good.write_text("a-secret-of-thirty-two-characters\n")
    assert SourcesConfig(
        kind="files", files=files, privacy={"key_file": str(good)}
    ).pseudonym_key() == (b"a-secret-of-thirty-two-characters")
    assert SourcesConfig(kind="synthetic").pseudonym_key() == pseudonyms.SYNTHETIC_DEMO_KEY


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("10.1.2.3", "10.1.2.0"),
        ("192.0.2.255", "192.0.2.0"),
        ("2001:db8:1:2::5", "2001:db8:1::"),
        ("2001:db8::1", "2001:db8::"),
        ("fd12:3456:789a:ffff::1", "fd12:3456:789a::"),  # a negative high half
        ("::1", "::"),
        ("10.0.0.0", "10.0.0.0"),  # cutting twice changes nothing
        ("2001:db8:1::", "2001:db8:1::"),
    ],
)
def test_addresses_are_cut_to_their_network(address, network):
    sql = address_retention.network_sql("hi", "lo")
    con = duckdb.connect()
    con.execute(
        "create table numbers as select ?::bigint as hi, ?::bigint as lo", halves_of(address)
    )
    cut = con.execute(f"select {sql['hi']}, {sql['lo']} from numbers").fetchall()
    assert cut == [halves_of(network)]


def complete_week(con: duckdb.DuckDBPyConnection, week: date) -> None:
    week_status.mark_loaded(con, week, "load")
    before = week_status.begin_build(con, week, "build")
    week_status.finish_build(con, week, "build", before, whole=True)


def test_addresses_are_kept_the_configured_days_after_attribution():
    con = duckdb.connect()
    complete_week(con, WEEK)
    now = datetime.now().astimezone()
    assert address_retention.weeks_due(con, keep_days=0, now=now) == [WEEK]
    assert address_retention.weeks_due(con, keep_days=3, now=now) == []
    assert address_retention.weeks_due(con, keep_days=3, now=now + timedelta(days=4)) == [WEEK]


def test_a_week_with_cut_addresses_is_not_rebuilt_from_them(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    flows, assignments = new_rows(con, FLOWS), new_rows(con, ASSIGNMENTS)
    flow_ends = [*halves_of("10.0.0.1"), *halves_of("2001:db8:5:6::1")]
    con.execute(
        f"insert into {flows} values (?, '2024-06-03 01:00', '2024-06-03 01:01', ?, ?, ?, ?,"
        " 1, 2, 6, 100, 1, 1, false, 'record', 'broadband', 'r', 'f', 1)",
        [WEEK, *flow_ends],
    )
    for network in ("10.0.0.1", "2001:db8:1:100::/56"):
        con.execute(
            f"insert into {assignments} values (?, 's', 'broadband', 'pppoe', 'personal', ?, ?,"
            " ?, '2024-06-01', null, 'f')",
            [WEEK, *network_of(network)],
        )
    store(con, {FLOWS: flows, ASSIGNMENTS: assignments})
    con.execute(
        "insert into raw.quarantine values (?, 'flows', 'f', 2, 'oops', '10.0.0.9,sub-x')", [WEEK]
    )
    complete_week(con, WEEK)
    assert address_retention.cut_due_weeks(con, keep_days=0) == [WEEK]
    assert con.execute(
        "select src_addr_hi, src_addr_lo, dst_addr_hi, dst_addr_lo from raw.flows"
    ).fetchall() == [(*halves_of("10.0.0.0"), *halves_of("2001:db8:5::"))]
    networks = "select network_hi, network_lo, prefix_len from raw.assignments order by prefix_len"
    assert con.execute(networks).fetchall() == [
        (*halves_of("10.0.0.0"), 24),
        (*halves_of("2001:db8:1::"), 48),
    ]
    assert con.execute("select record from raw.quarantine").fetchall() == [(None,)]
    with pytest.raises(week_status.AddressesCutError, match="Materialize the whole week"):
        week_status.begin_build(con, WEEK, "models-only")
    # a new load of the week makes it buildable again
    week_status.mark_loaded(con, WEEK, "reload")
    week_status.begin_build(con, WEEK, "build-again")


def hand_week_personal_data() -> tuple[set[str], set[str]]:
    """The subscriber ids and the addresses (full, as written) of the hand-built week."""

    def column(table: str, name: str) -> set[str]:
        with (FIXTURES / "hand_week" / f"{table}.csv").open() as handle:
            return {row[name].strip() for row in csv.DictReader(handle) if row[name].strip()}

    ids = column("assignments", "subscriber_id") | column("usage_counters", "subscriber_id")
    addresses = (
        column("flows", "src_addr") | column("flows", "dst_addr") | column("assignments", "address")
    )
    return ids, addresses


def personal_pattern(ids: set[str], addresses: set[str]) -> re.Pattern[str]:
    """Any of the values as a whole token (10.0.0.1 must not match inside 10.0.0.10)."""
    tokens = sorted(ids | {address.split("/")[0] for address in addresses}, key=len, reverse=True)
    alternatives = "|".join(re.escape(token) for token in tokens)
    return re.compile(rf"(?<![0-9A-Za-z_.:-])(?:{alternatives})(?![0-9A-Za-z_:-]|\.[0-9])")


def text_hits(root: Path, pattern: re.Pattern[str], skip: set[Path]) -> list[str]:
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p not in skip):
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits += [f"{path.relative_to(root)}: {m.group(0)}" for m in pattern.finditer(text)]
    return hits


def host_numbers(addresses: set[str]) -> set[int]:
    """The halves that give a host away: an IPv4 address's low half when it is no /24
    network, an IPv6 address's high half when it has bits below its /48."""
    numbers = set()
    for address in addresses:
        hi, lo = network_of(address)[:2]
        if ":" not in address and lo % 256:
            numbers.add(lo)
        elif ":" in address and hi % 65536:
            numbers.add(hi)
    return numbers


def columns_of_types(con: duckdb.DuckDBPyConnection, types: tuple[str, ...]) -> list[tuple]:
    """(schema, table, column) of every warehouse column of one of the types."""
    return con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where data_type in (select unnest(?::varchar[])) and not internal",
        [list(types)],
    ).fetchall()


def warehouse_number_hits(warehouse: Path, numbers: set[int]) -> list[str]:
    hits = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for schema, table, column in columns_of_types(con, ("BIGINT", "HUGEINT")):
            found = con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" '
                f'where "{column}" in (select unnest(?::hugeint[]))',
                [sorted(numbers)],
            ).fetchall()
            hits += [f"{schema}.{table}.{column}: {value}" for (value,) in found]
    return hits


def warehouse_hits(warehouse: Path, pattern: re.Pattern[str]) -> list[str]:
    hits = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for schema, table, column in columns_of_types(con, ("VARCHAR",)):
            values = con.execute(f'select distinct "{column}" from "{schema}"."{table}"')
            hits += [
                f"{schema}.{table}.{column}: {value}"
                for (value,) in values.fetchall()
                if value is not None and pattern.search(value)
            ]
    return hits


def test_an_attributed_week_keeps_no_raw_subscriber_id_or_address(hand_week_env, tmp_path):
    """After the week is attributed, nothing the platform wrote (warehouse, Dagster's event
    log and compute logs, logs, Data Docs, verdicts, figures, tables, pages, exports) holds a
    subscriber id or an address of the input."""
    completed = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "week", WEEK.isoformat()],
        cwd=PROJECT_ROOT,
        env=hand_week_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    ids, addresses = hand_week_personal_data()
    pattern = personal_pattern(ids, addresses)
    assert pattern.search("flow from 10.0.0.1 by sub-a") and not pattern.search("10.0.0.10")
    assert text_hits(FIXTURES / "hand_week", pattern, set())  # the scan finds the inputs' own

    warehouse = Path(hand_week_env["TRAFFICREPORT_DUCKDB"])
    assert warehouse_hits(warehouse, pattern) == []
    # addresses are numbers in the warehouse: no host's number is left, only networks
    numbers = host_numbers(addresses)
    assert numbers and warehouse_number_hits(warehouse, numbers) == []
    skip = {warehouse, warehouse.with_name(warehouse.name + ".wal")}
    for root in (tmp_path / "data", tmp_path / "dagster_home", tmp_path / "assets"):
        assert text_hits(root, pattern, skip) == [], root
    assert pattern.search(completed.stdout) is None
    # the week's pseudonyms are what the marts know users by
    with duckdb.connect(str(warehouse), read_only=True) as con:
        users = {row[0] for row in con.sql("select subscriber_id from user_daily_usage").fetchall()}
    assert users and all(user.startswith(pseudonyms.PREFIX) for user in users)
