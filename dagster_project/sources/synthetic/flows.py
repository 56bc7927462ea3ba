"""Sampled flow records that carry each flow-observed user's weekly volume.

A user's week is split into connections; each connection has a start time drawn from the
service's hour-of-week rhythm, a protocol/port category, an IP version, the address the
user held at that moment and a remote end, and yields two flow records: OUT (remote to
subscriber) and IN (subscriber to remote).

Packet sampling 1:N is simulated per record: a record whose connection sent P packets keeps
Poisson(P / N) of them and reports those packets' bytes, unscaled (`counts_scaled` false);
records that keep no packet are not exported, as with a real sampling exporter. Scaling by
N (done in staging) gives back each user's volume without bias; a user whose whole week
keeps no packet in a direction looks idle in that direction, exactly as in real sampled
data. At the default N that only touches users far below every published median.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from dagster_project.sources.synthetic import diurnal, port_mix
from dagster_project.sources.synthetic.addresses import (
    SECOND,
    AddressBook,
    Numbers,
    address_text,
    remote_pool,
)
from dagster_project.sources.synthetic.labels import LABEL_TYPE, chosen_labels, repeated_label
from dagster_project.sources.synthetic.parameters import load_parameters, port_shares
from dagster_project.sources.synthetic.synthetic_config import SyntheticConfig
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK_US = 7 * 86400 * SECOND
HOUR_US = 3600 * SECOND
# Largest volume one connection carries (before sampling), per service.
CONNECTION_CAP = {"broadband": 4e9, "mobile": 2e8}
EXTRA_CONNECTIONS_MEAN = 4  # small connections per user on top of the volume-driven ones
IPV6_SHARE_OF_CONNECTIONS = {"broadband": 0.4, "mobile": 0.5}
PACKET_SIZE = {
    port_mix.TCP: 1380,
    port_mix.UDP: 1250,
    port_mix.ESP: 1300,
    port_mix.GRE: 1200,
    port_mix.IPIP: 1300,
    port_mix.ICMP: 84,
}
ACK_SIZE = 66


def _protocol_lookup(values: dict[int, float | bool], dtype: type) -> np.ndarray:
    lookup = np.zeros(256, dtype=dtype)
    for number, value in values.items():
        lookup[number] = value
    return lookup


PACKET_SIZES = _protocol_lookup(PACKET_SIZE, np.float64)
TUNNEL_V4_ONLY = _protocol_lookup({port_mix.GRE: True, port_mix.IPIP: True}, bool)
HAS_PORTS = _protocol_lookup({port_mix.TCP: True, port_mix.UDP: True}, bool)

RATE_MEDIAN_BYTES_PER_S = 2.5e6
LONGEST_RECORD_S = 1800
# Order of the remote pool: server/peer/VPN kinds, each IPv4 then IPv6.
REMOTE_KINDS = ("server4", "server6", "peer4", "peer6", "vpn4", "vpn6")
EXPORTERS = {
    "broadband": ("bras-01", "bras-02", "bras-03", "bras-04"),
    "mobile": ("pgw-01", "pgw-02"),
}
# What the generator yields: the addresses as the raw lake stores them (address_numbers.py).
FLOW_SCHEMA = pa.schema(
    [
        ("flow_start", pa.timestamp("us")),
        ("flow_end", pa.timestamp("us")),
        ("src_addr_hi", pa.int64()),
        ("src_addr_lo", pa.int64()),
        ("dst_addr_hi", pa.int64()),
        ("dst_addr_lo", pa.int64()),
        ("src_port", pa.int32()),
        ("dst_port", pa.int32()),
        ("protocol", pa.int16()),
        ("bytes", pa.int64()),
        ("packets", pa.int64()),
        ("sampling_interval", pa.int32()),
        ("counts_scaled", pa.bool_()),
        ("sampling_origin", LABEL_TYPE),
        ("service", LABEL_TYPE),
        ("exporter", LABEL_TYPE),
        ("source_file", LABEL_TYPE),
        ("source_row", pa.int64()),
    ]
)


@dataclass(frozen=True)
class FlowUsers:
    """Flow-observed users of one service (weekly bytes) and their address book."""

    service: str
    weekly_out: np.ndarray
    weekly_in: np.ndarray
    book: AddressBook


def flow_source_file(config: SyntheticConfig, week: AnalysisWeek) -> str:
    return f"synthetic://flows/seed={config.seed}/week={week.key}"


@dataclass
class _Connections:
    user: np.ndarray
    start: np.ndarray  # us since week start
    out_bytes: np.ndarray
    in_bytes: np.ndarray
    category: np.ndarray


def _connections(
    users: FlowUsers,
    lo: int,
    hi: int,
    week_start: date,
    shares: dict[str, float],
    rng: np.random.Generator,
) -> tuple[_Connections, list[port_mix.PortCategory]]:
    weekly_out, weekly_in = users.weekly_out[lo:hi], users.weekly_in[lo:hi]
    volume_driven = np.ceil((weekly_out + weekly_in) / CONNECTION_CAP[users.service])
    count = (volume_driven + 1 + rng.poisson(EXTRA_CONNECTIONS_MEAN, hi - lo)).astype(np.int64)
    user = np.repeat(np.arange(lo, hi), count)
    out_profile = diurnal.week_profile(users.service, "out", week_start)
    in_profile = diurnal.week_profile(users.service, "in", week_start)
    hour = rng.choice(168, size=len(user), p=out_profile)
    start = hour * HOUR_US + rng.integers(0, HOUR_US, size=len(user))
    # IN weights lean towards the upload rhythm, so IN by hour follows its own shape.
    out_weight = rng.exponential(size=len(user))
    in_weight = rng.exponential(size=len(user)) * (in_profile / out_profile)[hour]
    local = user - lo
    out_bytes = weekly_out[local] * out_weight / np.bincount(local, out_weight)[local]
    in_bytes = weekly_in[local] * in_weight / np.bincount(local, in_weight)[local]
    keys = list(shares)
    categories = [port_mix.category_from_key(key) for key in keys]
    share_values = np.array([shares[key] for key in keys])
    category = port_mix.assign_categories(out_bytes + in_bytes, share_values, rng)
    return _Connections(user, start, out_bytes, in_bytes, category), categories


def _sample(
    true_bytes: np.ndarray, packet_size: np.ndarray, interval: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Sampled packets and their bytes (unscaled) for 1:N sampling."""
    packets = rng.poisson(true_bytes / packet_size / interval)
    return packets, np.round(packets * packet_size).astype(np.int64)


def _remote_index(
    pool_sizes: np.ndarray, layout: np.ndarray, ipv6: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Position in the remote pool (see `REMOTE_KINDS`) of each connection's remote end."""
    kind = np.select([layout == port_mix.SERVER, layout == port_mix.NONE], [0, 2], default=1)
    slot = 2 * kind + ipv6
    sizes = pool_sizes[slot]
    # Popular content servers take most connections: skew towards the first ones.
    pick = np.minimum((sizes * rng.random(len(slot)) ** 3).astype(np.int64), sizes - 1)
    offsets = np.concatenate([[0], np.cumsum(pool_sizes)[:-1]])
    return offsets[slot] + pick


def _batch(
    users: FlowUsers,
    lo: int,
    hi: int,
    week: AnalysisWeek,
    config: SyntheticConfig,
    addresses: tuple[Numbers, np.ndarray],
    rng: np.random.Generator,
) -> pa.Table:
    """Flow records of users lo..hi, ordered by start time (canonical columns, no source_*)."""
    pool, remote_sizes = addresses
    parameters = load_parameters(config.parameters_path)
    shares = port_shares(parameters, users.service, week.start)
    conn, categories = _connections(users, lo, hi, week.start, shares, rng)
    protocol, subscriber_port, remote_port = port_mix.ports_for(categories, conn.category, rng)
    layout = np.array([c.layout_code for c in categories], dtype=np.int8)[conn.category]
    tunnel_v4_only = TUNNEL_V4_ONLY[protocol]
    ipv6 = (
        users.book.has_ipv6[conn.user]
        & ~tunnel_v4_only
        & (rng.random(len(conn.user)) < IPV6_SHARE_OF_CONNECTIONS[users.service])
    ).astype(np.int64)
    subscriber = users.book.address_index(conn.user, conn.start, ipv6)
    remote = len(users.book.host_addresses) + _remote_index(remote_sizes, layout, ipv6, rng)

    size_out = PACKET_SIZES[protocol]
    ratio = np.clip(conn.in_bytes / np.maximum(conn.out_bytes, 1.0), 0.0, 1.0)
    payload_both_ways = ~HAS_PORTS[protocol]
    size_in = np.where(payload_both_ways, size_out, ACK_SIZE + (size_out - ACK_SIZE) * ratio)
    packets_out, bytes_out = _sample(conn.out_bytes, size_out, config.sampling_interval, rng)
    packets_in, bytes_in = _sample(conn.in_bytes, size_in, config.sampling_interval, rng)

    rate = RATE_MEDIAN_BYTES_PER_S * rng.lognormal(0.0, 1.0, len(conn.user))
    duration = np.minimum((conn.out_bytes + conn.in_bytes) / rate, LONGEST_RECORD_S) * SECOND
    end = np.minimum(conn.start + duration.astype(np.int64), WEEK_US - 1)

    # One row per exported record: OUT records first, then IN, then ordered by start time.
    rows = np.concatenate([np.flatnonzero(packets_out > 0), np.flatnonzero(packets_in > 0)])
    is_in = np.arange(len(rows)) >= np.count_nonzero(packets_out)
    order = np.argsort(conn.start[rows])
    rows, is_in = rows[order], is_in[order]
    week_start_us = np.datetime64(week.utc_start, "us")
    exporters = EXPORTERS[users.service]
    subscriber_side, remote_side = subscriber[rows], remote[rows]
    sources = pool.take(np.where(is_in, subscriber_side, remote_side))
    destinations = pool.take(np.where(is_in, remote_side, subscriber_side))
    subscriber_ports, remote_ports = subscriber_port[rows], remote_port[rows]
    start = conn.start[rows]
    columns = {
        "flow_start": week_start_us + start.astype("timedelta64[us]"),
        "flow_end": week_start_us + end[rows].astype("timedelta64[us]"),
        "src_addr_hi": sources.hi,
        "src_addr_lo": sources.lo,
        "dst_addr_hi": destinations.hi,
        "dst_addr_lo": destinations.lo,
        "src_port": np.where(is_in, subscriber_ports, remote_ports).astype(np.int32),
        "dst_port": np.where(is_in, remote_ports, subscriber_ports).astype(np.int32),
        "protocol": protocol[rows],
        "bytes": np.where(is_in, bytes_in[rows], bytes_out[rows]),
        "packets": np.where(is_in, packets_in[rows], packets_out[rows]).astype(np.int64),
        "sampling_interval": np.full(len(rows), config.sampling_interval, np.int32),
        "counts_scaled": np.zeros(len(rows), bool),
        "sampling_origin": repeated_label("record", len(rows)),
        "service": repeated_label(users.service, len(rows)),
        "exporter": chosen_labels(exporters, conn.user[rows] % len(exporters)),
    }
    return pa.table(columns)


def flow_tables(
    groups: list[FlowUsers], week: AnalysisWeek, config: SyntheticConfig, rng_for: callable
) -> Iterator[pa.Table]:
    """Batches of flow records for the given user groups, `users_per_batch` users at a time."""
    remote = remote_pool(rng_for(0))
    remote_addresses = Numbers.concat([remote[kind] for kind in REMOTE_KINDS])
    remote_sizes = np.array([len(remote[kind]) for kind in REMOTE_KINDS])
    source_file = flow_source_file(config, week)
    next_row = 0
    batch_number = 0
    for users in groups:
        pool = Numbers.concat([users.book.host_addresses, remote_addresses])
        total = len(users.weekly_out)
        for lo in range(0, total, config.users_per_batch):
            batch_number += 1
            hi = min(lo + config.users_per_batch, total)
            addresses = (pool, remote_sizes)
            table = _batch(users, lo, hi, week, config, addresses, rng_for(batch_number))
            rows = table.num_rows
            table = table.append_column("source_file", repeated_label(source_file, rows))
            table = table.append_column(
                "source_row", pa.array(np.arange(next_row, next_row + rows, dtype=np.int64))
            )
            next_row += rows
            yield table.cast(FLOW_SCHEMA)


def flows_as_text(flows: pa.Table) -> pa.Table:
    """Flow records with their addresses written out as `src_addr` and `dst_addr` (the
    records' canonical shape, which the file writers of tools and tests need)."""
    for end in ("src", "dst"):
        numbers = Numbers(flows[f"{end}_addr_hi"].to_numpy(), flows[f"{end}_addr_lo"].to_numpy())
        position = flows.schema.get_field_index(f"{end}_addr_hi")
        flows = flows.drop_columns([f"{end}_addr_hi", f"{end}_addr_lo"])
        flows = flows.add_column(position, f"{end}_addr", address_text(numbers))
    return flows
