"""Addresses become two signed 64-bit halves at load: DuckDB's parse against Python's
`ipaddress`, the prefix keys the models join on, the cut, and a warehouse of the earlier
text layout brought to numbers."""

import ipaddress
import random
from datetime import date

import duckdb
import pytest

from dagster_project.sources import address_numbers
from dagster_project.sources.raw_tables import ensure_raw_tables

WEEK = date(2024, 6, 3)
WRITTEN_FORMS = (
    "192.0.2.1",
    " 10.0.0.4 ",
    "0.0.0.0",
    "255.255.255.255",
    "2001:DB8::1",
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "::",
    "::1",
    "1::",
    "fe80::1",
    "fd12:3456:789a:1::5",
    "8000::",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "64:ff9b::192.0.2.1",
    "::ffff:1.2.3.4",
    "1:2:3:4:5:6:7:8",
)
NOT_ADDRESSES = ("unreadable", "10.0.0.300", "1.2.3", "1.2.3.4.5", "2001:db8::1::2",
                 "1:2:3:4:5:6:7:8:9", "12345::", "")  # fmt: skip


def parsed(texts: list[str]) -> list[tuple[int | None, int | None]]:
    con = duckdb.connect()
    address_numbers.create_address_macros(con)
    con.execute("create table texts (position integer, address varchar)")
    con.executemany("insert into texts values (?, ?)", list(enumerate(texts)))
    relation = "select * from texts"
    rows = con.execute(
        f"select x_hi, x_lo from ({address_numbers.halves_select_sql(relation, 'address', 'x')}) "
        "order by position"
    ).fetchall()
    return [tuple(row) for row in rows]


def random_addresses(count: int) -> list[str]:
    rng = random.Random(7)
    texts = []
    for _ in range(count):
        if rng.random() < 0.4:
            texts.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
        else:
            # some groups zero, so that '::' compression appears in many places
            groups = [rng.choice((0, rng.getrandbits(16))) for _ in range(8)]
            number = int.from_bytes(b"".join(g.to_bytes(2, "big") for g in groups), "big")
            address = ipaddress.IPv6Address(number)
            texts.append(rng.choice((str(address), address.exploded.upper())))
    return texts


@pytest.mark.parametrize("text", WRITTEN_FORMS)
def test_every_written_form_gives_the_number_python_gives(text):
    assert parsed([text]) == [address_numbers.halves_of(text)]


def test_random_addresses_in_both_text_forms_match_python():
    texts = random_addresses(3000)
    assert parsed(texts) == [address_numbers.halves_of(text) for text in texts]


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_text_that_is_no_address_gives_no_number(text):
    assert parsed([text]) == [(None, None)]


def test_ipv4_lives_in_the_mapped_block_and_halves_are_twos_complement():
    assert address_numbers.halves_of("192.0.2.1") == (0, 0xFFFF_C000_0201)
    assert address_numbers.halves_of("::ffff:192.0.2.1") == address_numbers.halves_of("192.0.2.1")
    assert address_numbers.halves_of("8000::") == (-(2**63), 0)
    assert address_numbers.network_of("2001:db8:1:100::/56")[2] == 56
    assert address_numbers.network_of("198.51.100.7")[2] == 32


def test_a_warehouse_of_address_text_is_brought_to_numbers(new_warehouse):
    """Rows written when raw tables kept text get the numbers of their text (a cut network's
    for a cut one, none for 'unreadable') and the text columns go."""
    con = new_warehouse()
    con.execute("create schema raw")
    con.execute(
        "create table raw.flows (week_start date not null, src_addr varchar not null, "
        "dst_addr varchar not null)"
    )
    con.execute(
        "insert into raw.flows values (?, '10.0.0.4', '2001:db8::1'), "
        "(?, '192.0.2.0/24', 'unreadable')",
        [WEEK, WEEK],
    )
    con.execute("create table raw.assignments (week_start date not null, address varchar not null)")
    con.execute("insert into raw.assignments values (?, '2001:db8:1:100::/56')", [WEEK])
    ensure_raw_tables(con)
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'raw'"
        ).fetchall()
    }
    assert not {"src_addr", "dst_addr", "address"} & columns
    flows = con.execute(
        "select src_addr_hi, src_addr_lo, dst_addr_hi, dst_addr_lo from raw.flows "
        "order by src_addr_lo"
    ).fetchall()
    assert flows == [
        (*address_numbers.halves_of("10.0.0.4"), *address_numbers.halves_of("2001:db8::1")),
        (*address_numbers.halves_of("192.0.2.0"), None, None),
    ]
    assert con.execute(
        "select network_hi, network_lo, prefix_len from raw.assignments"
    ).fetchall() == [address_numbers.network_of("2001:db8:1:100::/56")]
