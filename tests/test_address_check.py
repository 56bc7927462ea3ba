"""The readers' address check (`ingest_is_ip`) says what Python's `ipaddress` says."""

import ipaddress
import random

import duckdb
import pytest

from dagster_project.sources.readers.quarantine import IS_IP_ADDRESS_MACRO

ADDRESSES = (
    "192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:DB8::1", "::", "::1", "1::", "fe80::1",
    "2001:0db8:0000:0000:0000:0000:0000:0001", "1:2:3:4:5:6:7:8", "1::8", "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8", "1:2:3::6:7:8", "64:ff9b::192.0.2.1", "::ffff:1.2.3.4", "::1.2.3.4",
    "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5::1.2.3.4",
)  # fmt: skip
NOT_ADDRESSES = (
    "unreadable", "10.0.0.300", "1.2.3", "1.2.3.4.5", "010.0.0.1", " 10.0.0.4", "10.0.0.4 ",
    "2001:db8::1::2", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::",
    ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "1::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:1.2.3.4",
    "fe80::1%eth0", "::1.2.3.256", "g::1", "", ":",
)  # fmt: skip


def checked(texts: list[str]) -> list[bool]:
    with duckdb.connect() as con:
        con.execute(IS_IP_ADDRESS_MACRO)
        con.execute("create table texts (position integer, address varchar)")
        con.executemany("insert into texts values (?, ?)", list(enumerate(texts)))
        rows = con.execute("select ingest_is_ip(address) from texts order by position")
        return [bool(valid) for (valid,) in rows.fetchall()]


def python_says(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def random_texts(count: int) -> list[str]:
    """IPv4 and IPv6 addresses written every way Python writes them, and broken copies."""
    rng = random.Random(11)
    texts = []
    for _ in range(count):
        groups = [rng.choice((0, 0, rng.getrandbits(16))) for _ in range(8)]
        number = int.from_bytes(b"".join(g.to_bytes(2, "big") for g in groups), "big")
        ipv6 = ipaddress.IPv6Address(number)
        text = rng.choice(
            (str(ipaddress.IPv4Address(rng.getrandbits(32))), str(ipv6), ipv6.exploded)
        )
        if rng.random() < 0.3:  # a character dropped, doubled or replaced
            cut = rng.randrange(len(text))
            text = text[:cut] + rng.choice(("", text[cut] * 2, ":", ".", "x")) + text[cut + 1 :]
        texts.append(text)
    return texts


@pytest.mark.parametrize("texts", [ADDRESSES, NOT_ADDRESSES], ids=["addresses", "not"])
def test_written_forms(texts):
    assert checked(list(texts)) == [text in ADDRESSES for text in texts]


def test_agrees_with_python_on_random_texts():
    texts = random_texts(5000)
    assert checked(texts) == [python_says(text) for text in texts]
