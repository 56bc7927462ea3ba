"""The synthetic address plan and who holds which address when.

Matching rule (what the attribution in dbt relies on): an assignment's `address` is either a
bare IPv4 address (that one address) or an IPv6 prefix in CIDR form; a flow address belongs
to the subscriber whose assignment contains it while `valid_from <= flow_start < valid_to`
(`valid_to` null = still held). Broadband PPPoE and IPoE subscribers get an IPv6 /56 (the
flows use hosts anywhere in it, so the match is on the first 56 bits), phones a /64.
All IPv6 text is RFC 5952 canonical (lowercase, no leading zeros, `::` only for the
trailing zeros of a prefix: the plan never puts a zero group inside an address).

Address space (documentation and special-purpose ranges only):
- PPPoE IPv4 10.0.0.0/8 (10.255.0.0/16 never assigned), IPv6 2001:db8:1000::/36 + /56s;
- IPoE IPv6 2001:db8:9000::/36; phones IPv4 100.64.0.0/10 (100.127.0.0/16 never assigned),
  IPv6 /64s in 2001:db8:c000::/34; never-assigned IPv6 in 2001:db8:8800:: and 2001:db8:b000::;
- remote side: servers in 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 3fff::/20, peers in
  198.18.0.0/15 and 3fff:1::/32.

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

SECOND = 1_000_000
HEX_GROUPS = pa.array([format(value, "x") for value in range(65536)])
RECONNECT_SHARE = {"pppoe": 0.15, "ipoe": 0.0, "mobile": 0.3}
IPV6_SHARE_OF_SUBSCRIBERS = {"pppoe": 0.85, "ipoe": 1.0, "mobile": 0.9}


@dataclass(frozen=True)
class AccessPlan:
    ipv4_first: int | None  # first IPv4 address as an integer; None: no IPv4
    ipv4_unassigned_first: int | None
    ipv6_group3_first: int
    ipv6_unassigned_group3_first: int
    prefix_length: int  # 56 or 64


def _ipv4_int(text: str) -> int:
    a, b, c, d = (int(part) for part in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


PLANS = {
    "pppoe": AccessPlan(_ipv4_int("10.0.0.1"), _ipv4_int("10.255.0.1"), 0x1000, 0x8800, 56),
    "ipoe": AccessPlan(None, None, 0x9000, 0x8C00, 56),
    "mobile": AccessPlan(_ipv4_int("100.64.0.1"), _ipv4_int("100.127.0.1"), 0xC000, 0xB000, 64),
}


def format_ipv4(values: np.ndarray) -> pa.Array:
    values = values.astype(np.uint32)
    octets = [pc.cast(pa.array((values >> shift) & 0xFF), pa.string()) for shift in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*octets, ".")


def _hex(groups: np.ndarray) -> pa.Array:
    return pc.take(HEX_GROUPS, pa.array(groups.astype(np.int64)))


def format_ipv6(groups: list[np.ndarray | str], suffix: str = "") -> pa.Array:
    """Join hex groups (arrays of 0..65535, or fixed text) with ':'; `suffix` e.g. '::/56'."""
    length = max(len(g) for g in groups if not isinstance(g, str))
    parts = [pa.repeat(g, length) if isinstance(g, str) else _hex(g) for g in groups]
    joined = pc.binary_join_element_wise(*parts, ":")
    return pc.binary_join_element_wise(joined, suffix, "") if suffix else joined


def prefix_groups(
    plan: AccessPlan, index: np.ndarray, unassigned: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Third and fourth group of the prefix number `index` (never zero)."""
    first = plan.ipv6_unassigned_group3_first if unassigned else plan.ipv6_group3_first
    if plan.prefix_length == 56:
        return first + index // 255, (index % 255 + 1) << 8
    return first + index // 65535, index % 65535 + 1


def prefix_text(plan: AccessPlan, index: np.ndarray) -> pa.Array:
    group3, group4 = prefix_groups(plan, index, unassigned=False)
    return format_ipv6(["2001", "db8", group3, group4], f"::/{plan.prefix_length}")


def host_text(
    plan: AccessPlan, index: np.ndarray, unassigned: bool, rng: np.random.Generator
) -> pa.Array:
    """A host address inside each prefix: a random subnet (for /56) and interface id."""
    group3, group4 = prefix_groups(plan, index, unassigned)
    if plan.prefix_length == 56:
        group4 = group4 | rng.integers(1, 256, size=len(index))
    interface = [rng.integers(1, 65536, size=len(index)) for _ in range(4)]
    return format_ipv6(["2001", "db8", group3, group4, *interface])


@dataclass(frozen=True)
class AddressBook:
    """Per user of one access: addresses before and after an optional reconnect."""

    ipv4_before: pa.Array | None
    ipv4_after: pa.Array | None
    ipv6_before: pa.Array  # host addresses (flows) ...
    ipv6_after: pa.Array
    prefix_before: pa.Array  # ... and the prefixes they belong to (assignments)
    prefix_after: pa.Array
    has_ipv6: np.ndarray
    reconnect_at: np.ndarray  # microseconds since the week start; beyond the week: never
    session_start: np.ndarray  # microseconds since the week start (negative: before it)

    def subset(self, users: np.ndarray) -> "AddressBook":
        index = pa.array(users)
        return AddressBook(
            *(
                None
                if value is None
                else value.take(index)
                if isinstance(value, pa.Array)
                else value[users]
                for value in (getattr(self, f.name) for f in fields(self))
            )
        )

    @property
    def reconnects(self) -> np.ndarray:
        return self.reconnect_at < 7 * 86400 * SECOND

    @cached_property
    def host_addresses(self) -> pa.Array:
        """Every address text flows can use: IPv4 before/after, then IPv6 before/after."""
        tables = [self.ipv6_before, self.ipv6_after]
        if self.ipv4_before is not None:
            tables = [self.ipv4_before, self.ipv4_after, *tables]
        return pa.concat_arrays([t.cast(pa.string()) for t in tables])

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
    if plan.ipv4_first is not None:
        first = plan.ipv4_unassigned_first if unassigned else plan.ipv4_first
        ipv4_before = format_ipv4(first + before)
        ipv4_after = format_ipv4(first + after)
    return AddressBook(
        ipv4_before=ipv4_before,
        ipv4_after=ipv4_after,
        ipv6_before=host_text(plan, prefix_before_index, unassigned, rng),
        ipv6_after=host_text(plan, prefix_after, unassigned, rng),
        prefix_before=prefix_text(plan, prefix_before_index),
        prefix_after=prefix_text(plan, prefix_after),
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


def assignment_columns(
    book: AddressBook, week_start_utc: datetime
) -> dict[str, np.ndarray | pa.Array]:
    """Assignment rows of one access (user index, address, valid_from, valid_to)."""
    n = len(book.has_ipv6)
    users = np.arange(n)
    pieces: list[tuple[np.ndarray, pa.Array, np.ndarray, np.ndarray]] = []
    never = np.full(n, -1)

    def add(address_before: pa.Array, address_after: pa.Array, holders: np.ndarray) -> None:
        moved = holders & book.reconnects
        end_before = np.where(moved, book.reconnect_at, never)
        pieces.append(
            (
                users[holders],
                address_before.filter(pa.array(holders)),
                book.session_start[holders],
                end_before[holders],
            )
        )
        pieces.append(
            (
                users[moved],
                address_after.filter(pa.array(moved)),
                book.reconnect_at[moved],
                never[moved],
            )
        )

    if book.ipv4_before is not None:
        add(book.ipv4_before, book.ipv4_after, np.ones(n, dtype=bool))
    add(book.prefix_before, book.prefix_after, book.has_ipv6)
    start = np.datetime64(week_start_utc, "us")
    valid_to = np.concatenate([p[3] for p in pieces])
    return {
        "user": np.concatenate([p[0] for p in pieces]),
        "address": pa.concat_arrays([p[1] for p in pieces]),
        "valid_from": start + np.concatenate([p[2] for p in pieces]).astype("timedelta64[us]"),
        "valid_to": np.where(
            valid_to < 0, np.datetime64("NaT"), start + valid_to.astype("timedelta64[us]")
        ),
    }


def remote_pool(rng: np.random.Generator) -> dict[str, pa.Array]:
    """Remote ends: content servers, peers (P2P, dynamic ports) and VPN concentrators."""
    servers_v4 = np.concatenate(
        [_ipv4_int(net) + np.arange(1, 255) for net in ("192.0.2.0", "198.51.100.0", "203.0.113.0")]
    )
    peers_v4 = _ipv4_int("198.18.0.0") + rng.integers(1, 2**17 - 1, size=4096)

    def v6(second: str, count: int) -> pa.Array:
        groups = [rng.integers(1, 65536, size=count) for _ in range(6)]
        return format_ipv6(["3fff", second, *groups])

    return {
        "server4": format_ipv4(servers_v4),
        "server6": v6("0", 1024),
        "peer4": format_ipv4(peers_v4),
        "peer6": v6("1", 4096),
        "vpn4": format_ipv4(servers_v4[:64]),
        "vpn6": v6("2", 64),
    }
