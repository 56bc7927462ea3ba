"""The synthetic address plan and who holds which address when.

Addresses are generated as the numbers the raw lake stores (`Numbers`: the high and low 64
bits, IPv4 as `::ffff:a.b.c.d`, see sources/address_numbers.py), so that loading a large week
parses no text; `address_text` and `network_text` write them out for the file writers of
tools and tests.

Matching rule (what the attribution in dbt relies on): an assignment is either a bare IPv4
address (that one address, /32) or an IPv6 prefix; a flow address belongs
to the subscriber whose assignment contains it while `valid_from <= flow_start < valid_to`
(`valid_to` null = still held). Broadband PPPoE and IPoE subscribers get an IPv6 /56 (the
flows use hosts anywhere in it, so the match is on the first 56 bits), phones a /64.
Written out, all IPv6 text is RFC 5952 canonical (lowercase, no leading zeros, `::` only for
the trailing zeros of a prefix: the plan never puts a run of zero groups inside an address).

Address space (documentation and special-purpose ranges only):
- PPPoE IPv4 10.0.0.0/8 (10.255.0.0/16 never assigned), IPv6 /56s in 2001:db8:1000:: to
  2001:db8:87ff::;
- IPoE IPv6 2001:db8:9000::/35; phones IPv4 100.64.0.0/10 (100.127.0.0/16 never assigned),
  IPv6 /64s in 2001:db8:c000::/34; never-assigned IPv6 in 2001:db8:8800::/38,
  2001:db8:8c00::/38 and 2001:db8:b000::/36;
- remote side: servers in 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 3fff::/20, peers in
  198.18.0.0/15 and 3fff:1::/32.
A population too large for its block (the benchmarks scale the week to 100 million flow
records and more) continues in a block of its own: IPv4 in 240.0.0.0/4 (reserved), IPv6 in
3fff:100::/24 and up (documentation); beyond those, generating the week fails.

Some subscribers reconnect during the week and get another address; a released address
goes to the next subscriber who reconnects, so one address maps to different subscribers
at different times and only the as-of join attributes the flows right.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.address_numbers import IPV4_MAPPED_LO

SECOND = 1_000_000
HEX_GROUPS = pa.array([format(value, "x") for value in range(65536)])
RECONNECT_SHARE = {"pppoe": 0.15, "ipoe": 0.0, "mobile": 0.3}
IPV6_SHARE_OF_SUBSCRIBERS = {"pppoe": 0.85, "ipoe": 1.0, "mobile": 0.9}


@dataclass(frozen=True)
class Pool:
    """Numbers handed out in order from blocks (first number, how many): the n-th number
    drawn is in the first block while it lasts, then in the next."""

    name: str
    blocks: tuple[tuple[int, int], ...]

    def take(self, index: np.ndarray) -> np.ndarray:
        counts = np.array([count for _, count in self.blocks], dtype=np.int64)
        ends = np.cumsum(counts)
        if len(index) and int(index.max()) >= ends[-1]:
            raise ValueError(
                f"the synthetic {self.name} pool holds {int(ends[-1]):,} numbers; "
                f"{int(index.max()) + 1:,} are needed: scale the population down"
            )
        block = np.searchsorted(ends, index, side="right")
        firsts = np.array([first for first, _ in self.blocks], dtype=np.int64)
        return firsts[block] + index - (ends[block] - counts[block])


def _ipv4_int(text: str) -> int:
    a, b, c, d = (int(part) for part in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def _ipv4_pool(name: str, first: str, last: str, overflow: str) -> Pool:
    """`first`..`last`, then the /7 at `overflow` (its first address skipped)."""
    start, end, spare = _ipv4_int(first), _ipv4_int(last), _ipv4_int(overflow)
    return Pool(name, ((start, end - start + 1), (spare + 1, 1 << 25)))


def _unit(group1: int, group2: int, group3: int) -> int:
    """The first three groups of an IPv6 address as one number: a /48 'unit'."""
    return (group1 << 32) | (group2 << 16) | group3


def _ipv6_pool(name: str, group3_first: int, group3_last: int, overflow_group2: int) -> Pool:
    """Units 2001:db8:<group3_first..group3_last>, then 3fff:<overflow_group2 + k>:1..ffff for
    k < 16 (a group 3 of zero skipped, so that no address has a zero group inside)."""
    documentation = (_unit(0x2001, 0xDB8, group3_first), group3_last - group3_first + 1)
    overflow = tuple((_unit(0x3FFF, overflow_group2 + k, 1), 0xFFFF) for k in range(16))
    return Pool(name, (documentation, *overflow))


@dataclass(frozen=True)
class AccessPlan:
    ipv4: Pool | None  # None: no IPv4
    ipv4_unassigned: Pool | None
    ipv6_units: Pool
    ipv6_unassigned_units: Pool
    prefix_length: int  # 56 or 64

    def prefixes_per_unit(self) -> int:
        """/56s or /64s per /48 unit: group 4 of a prefix is never zero."""
        return 255 if self.prefix_length == 56 else 65535


PLANS = {
    "pppoe": AccessPlan(
        _ipv4_pool("PPPoE IPv4", "10.0.0.1", "10.254.255.255", "240.0.0.0"),
        _ipv4_pool("never-assigned PPPoE IPv4", "10.255.0.1", "10.255.255.255", "248.0.0.0"),
        _ipv6_pool("PPPoE IPv6", 0x1000, 0x87FF, 0x100),
        _ipv6_pool("never-assigned PPPoE IPv6", 0x8800, 0x8BFF, 0x200),
        56,
    ),
    "ipoe": AccessPlan(
        None,
        None,
        _ipv6_pool("IPoE IPv6", 0x9000, 0xAFFF, 0x400),
        _ipv6_pool("never-assigned IPoE IPv6", 0x8C00, 0x8FFF, 0x300),
        56,
    ),
    "mobile": AccessPlan(
        _ipv4_pool("mobile IPv4", "100.64.0.1", "100.126.255.255", "244.0.0.0"),
        _ipv4_pool("never-assigned mobile IPv4", "100.127.0.1", "100.127.255.255", "250.0.0.0"),
        _ipv6_pool("mobile IPv6", 0xC000, 0xFFFF, 0x600),
        _ipv6_pool("never-assigned mobile IPv6", 0xB000, 0xBFFF, 0x500),
        64,
    ),
}


@dataclass(frozen=True)
class Numbers:
    """Addresses (or networks) as the raw lake stores them: the high and low 64 bits of each
    128-bit number, two's complement."""

    hi: np.ndarray
    lo: np.ndarray

    def take(self, index: np.ndarray) -> "Numbers":
        """The addresses at `index` (positions or a boolean mask)."""
        return Numbers(self.hi[index], self.lo[index])

    def __len__(self) -> int:
        return len(self.hi)

    @staticmethod
    def concat(parts: list["Numbers"]) -> "Numbers":
        return Numbers(
            np.concatenate([part.hi for part in parts]), np.concatenate([part.lo for part in parts])
        )


def ipv4_numbers(values: np.ndarray) -> Numbers:
    values = values.astype(np.int64)
    return Numbers(np.zeros(len(values), dtype=np.int64), IPV4_MAPPED_LO | values)


def _half(groups: list[np.ndarray]) -> np.ndarray:
    """Four 16-bit groups as one 64-bit half, two's complement."""
    half = np.zeros(len(groups[0]), dtype=np.uint64)
    for group in groups:
        half = (half << np.uint64(16)) | group.astype(np.uint64)
    return half.view(np.int64)


def ipv6_numbers(groups: list[np.ndarray]) -> Numbers:
    """The numbers of addresses given as eight arrays of 16-bit groups (a prefix: four)."""
    high = _half(groups[:4])
    low = _half(groups[4:]) if len(groups) > 4 else np.zeros(len(high), dtype=np.int64)
    return Numbers(high, low)


def _groups(half: np.ndarray) -> list[np.ndarray]:
    unsigned = half.view(np.uint64)
    return [((unsigned >> np.uint64(shift)) & np.uint64(0xFFFF)) for shift in (48, 32, 16, 0)]


def format_ipv4(values: np.ndarray) -> pa.Array:
    values = values.astype(np.uint32)
    octets = [pc.cast(pa.array((values >> shift) & 0xFF), pa.string()) for shift in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*octets, ".")


def _hex(groups: list[np.ndarray]) -> pa.Array:
    """Hex groups joined with ':'."""
    parts = [pc.take(HEX_GROUPS, pa.array(group.astype(np.int64))) for group in groups]
    return pc.binary_join_element_wise(*parts, ":")


def _is_ipv4(numbers: Numbers) -> np.ndarray:
    return (numbers.hi == 0) & ((numbers.lo >> 32) == 0xFFFF)


def address_text(numbers: Numbers) -> pa.Array:
    """The plan's addresses written out: dotted IPv4, IPv6 as its eight groups (no address of
    the plan has a run of zero groups to compress)."""
    ipv6 = _hex(_groups(numbers.hi) + _groups(numbers.lo))
    ipv4 = format_ipv4(numbers.lo & 0xFFFFFFFF)
    return pc.if_else(pa.array(_is_ipv4(numbers)), ipv4, ipv6)


def network_text(numbers: Numbers, prefix_len: np.ndarray) -> pa.Array:
    """The plan's networks written out: a bare IPv4 address (/32), or an IPv6 prefix of at most
    64 bits as its four high groups and `::/<length>`."""
    suffixes = pc.binary_join_element_wise("::/", pc.cast(pa.array(prefix_len), pa.string()), "")
    ipv6 = pc.binary_join_element_wise(_hex(_groups(numbers.hi)), suffixes, "")
    return pc.if_else(pa.array(_is_ipv4(numbers)), address_text(numbers), ipv6)


def _group(values: np.ndarray, shift: int) -> np.ndarray:
    return (values >> shift) & 0xFFFF


def prefix_groups(plan: AccessPlan, index: np.ndarray, unassigned: bool) -> list[np.ndarray]:
    """The four groups of the prefix number `index` (none of them zero)."""
    pool = plan.ipv6_unassigned_units if unassigned else plan.ipv6_units
    per_unit = plan.prefixes_per_unit()
    units = pool.take(index // per_unit)
    group4 = index % per_unit + 1
    if plan.prefix_length == 56:
        group4 = group4 << 8
    return [_group(units, 32), _group(units, 16), _group(units, 0), group4]


def prefix_numbers(plan: AccessPlan, index: np.ndarray) -> Numbers:
    return ipv6_numbers(prefix_groups(plan, index, unassigned=False))


def host_numbers(
    plan: AccessPlan, index: np.ndarray, unassigned: bool, rng: np.random.Generator
) -> Numbers:
    """A host address inside each prefix: a random subnet (for /56) and interface id."""
    *network, group4 = prefix_groups(plan, index, unassigned)
    if plan.prefix_length == 56:
        group4 = group4 | rng.integers(1, 256, size=len(index))
    interface = [rng.integers(1, 65536, size=len(index)) for _ in range(4)]
    return ipv6_numbers([*network, group4, *interface])


@dataclass(frozen=True)
class AddressBook:
    """Per user of one access: addresses before and after an optional reconnect."""

    ipv4_before: Numbers | None
    ipv4_after: Numbers | None
    ipv6_before: Numbers  # host addresses (flows) ...
    ipv6_after: Numbers
    prefix_before: Numbers  # ... and the prefixes they belong to (assignments)
    prefix_after: Numbers
    prefix_length: int
    has_ipv6: np.ndarray
    reconnect_at: np.ndarray  # microseconds since the week start; beyond the week: never
    session_start: np.ndarray  # microseconds since the week start (negative: before it)

    def subset(self, users: np.ndarray) -> "AddressBook":
        def of_users(value: object) -> object:
            return value.take(users) if isinstance(value, Numbers) else value[users]

        return AddressBook(
            **{
                f.name: value if value is None or isinstance(value, int) else of_users(value)
                for f in fields(self)
                for value in [getattr(self, f.name)]
            }
        )

    @property
    def reconnects(self) -> np.ndarray:
        return self.reconnect_at < 7 * 86400 * SECOND

    @cached_property
    def host_addresses(self) -> Numbers:
        """Every address flows can use: IPv4 before/after, then IPv6 before/after."""
        parts = [self.ipv6_before, self.ipv6_after]
        if self.ipv4_before is not None:
            parts = [self.ipv4_before, self.ipv4_after, *parts]
        return Numbers.concat(parts)

    def address_index(self, user: np.ndarray, at: np.ndarray, ipv6: np.ndarray) -> np.ndarray:
        """Position in `host_addresses` of the address `user` held at `at` (IPv6 where `ipv6`)."""
        choice = (at >= self.reconnect_at[user]).astype(np.int64)
        if self.ipv4_before is not None:
            choice += 2 * ipv6
        return user + len(self.has_ipv6) * choice


def address_book(access: str, size: int, unassigned: bool, rng: np.random.Generator) -> AddressBook:
    """Addresses for `size` users of one access, with reconnects chained through the pool."""
    plan = PLANS[access]
    week = 7 * 86400 * SECOND
    reconnect = rng.random(size) < (0.0 if unassigned else RECONNECT_SHARE[access])
    reconnect_at = np.where(reconnect, rng.integers(SECOND, week - SECOND, size=size), 2 * week)
    before = rng.permutation(size)
    after = _chain_reassignments(before, reconnect_at, reconnect, spare=size)
    prefix_before_index = rng.permutation(size)
    prefix_after = _chain_reassignments(prefix_before_index, reconnect_at, reconnect, spare=size)
    ipv4_before = ipv4_after = None
    ipv4 = plan.ipv4_unassigned if unassigned else plan.ipv4
    if ipv4 is not None:
        ipv4_before = ipv4_numbers(ipv4.take(before))
        ipv4_after = ipv4_numbers(ipv4.take(after))
    return AddressBook(
        ipv4_before=ipv4_before,
        ipv4_after=ipv4_after,
        ipv6_before=host_numbers(plan, prefix_before_index, unassigned, rng),
        ipv6_after=host_numbers(plan, prefix_after, unassigned, rng),
        prefix_before=prefix_numbers(plan, prefix_before_index),
        prefix_after=prefix_numbers(plan, prefix_after),
        prefix_length=plan.prefix_length,
        has_ipv6=rng.random(size) < IPV6_SHARE_OF_SUBSCRIBERS[access],
        reconnect_at=reconnect_at,
        session_start=-rng.integers(0, 20 * 86400 * SECOND, size=size),
    )


def _chain_reassignments(
    before: np.ndarray, reconnect_at: np.ndarray, reconnect: np.ndarray, spare: int
) -> np.ndarray:
    """New address index per user: each reconnecting user takes the address released by the
    previous one to reconnect (the first takes a spare), so no address is held twice."""
    after = before.copy()
    order = np.flatnonzero(reconnect)[np.argsort(reconnect_at[reconnect], kind="stable")]
    if len(order):
        after[order[0]] = spare
        after[order[1:]] = before[order[:-1]]
    return after


def assignment_columns(book: AddressBook, week_start_utc: datetime) -> dict[str, np.ndarray]:
    """Assignment rows of one access (user index, network numbers and prefix length,
    valid_from, valid_to)."""
    n = len(book.has_ipv6)
    users = np.arange(n)
    pieces: list[tuple[np.ndarray, Numbers, int, np.ndarray, np.ndarray]] = []
    never = np.full(n, -1)

    def add(before: Numbers, after: Numbers, length: int, holders: np.ndarray) -> None:
        moved = holders & book.reconnects
        end_before = np.where(moved, book.reconnect_at, never)
        pieces.append(
            (
                users[holders],
                before.take(holders),
                length,
                book.session_start[holders],
                end_before[holders],
            )
        )
        pieces.append(
            (users[moved], after.take(moved), length, book.reconnect_at[moved], never[moved])
        )

    if book.ipv4_before is not None:
        add(book.ipv4_before, book.ipv4_after, 32, np.ones(n, dtype=bool))
    add(book.prefix_before, book.prefix_after, book.prefix_length, book.has_ipv6)
    start = np.datetime64(week_start_utc, "us")
    networks = Numbers.concat([p[1] for p in pieces])
    valid_to = np.concatenate([p[4] for p in pieces])
    return {
        "user": np.concatenate([p[0] for p in pieces]),
        "network_hi": networks.hi,
        "network_lo": networks.lo,
        "prefix_len": np.concatenate([np.full(len(p[0]), p[2], dtype=np.int16) for p in pieces]),
        "valid_from": start + np.concatenate([p[3] for p in pieces]).astype("timedelta64[us]"),
        "valid_to": np.where(
            valid_to < 0, np.datetime64("NaT"), start + valid_to.astype("timedelta64[us]")
        ),
    }


def remote_pool(rng: np.random.Generator) -> dict[str, Numbers]:
    """Remote ends: content servers, peers (P2P, dynamic ports) and VPN concentrators."""
    servers_v4 = np.concatenate(
        [_ipv4_int(net) + np.arange(1, 255) for net in ("192.0.2.0", "198.51.100.0", "203.0.113.0")]
    )
    peers_v4 = _ipv4_int("198.18.0.0") + rng.integers(1, 2**17 - 1, size=4096)

    def v6(second: int, count: int) -> Numbers:
        groups = [rng.integers(1, 65536, size=count) for _ in range(6)]
        return ipv6_numbers([np.full(count, 0x3FFF), np.full(count, second), *groups])

    return {
        "server4": ipv4_numbers(servers_v4),
        "server6": v6(0, 1024),
        "peer4": ipv4_numbers(peers_v4),
        "peer6": v6(1, 4096),
        "vpn4": ipv4_numbers(servers_v4[:64]),
        "vpn6": v6(2, 64),
    }
