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
import pyarrow.compute as pc

from dagster_project.partitions import week_bounds_utc, week_key
from dagster_project.synthetic import ports, rhythm
from dagster_project.synthetic.addresses import SECOND, AddressBook, remote_pool
from dagster_project.synthetic.config import SyntheticConfig
from dagster_project.synthetic.parameters import load_parameters, port_shares

WEEK_US = 7 * 86400 * SECOND
HOUR_US = 3600 * SECOND
# Largest volume one connection carries (before sampling), per service.
CONNECTION_CAP = {"broadband": 4e9, "mobile": 2e8}
EXTRA_CONNECTIONS_MEAN = 4  # small connections per user on top of the volume-driven ones
IPV6_SHARE_OF_CONNECTIONS = {"broadband": 0.4, "mobile": 0.5}
PACKET_SIZE = {ports.TCP: 1380, ports.UDP: 1250, ports.ESP: 1300, ports.GRE: 1200,
               ports.IPIP: 1300, ports.ICMP: 84}
ACK_SIZE = 66
RATE_MEDIAN_BYTES_PER_S = 2.5e6
LONGEST_RECORD_S = 1800
EXPORTERS = {"broadband": ("bras-01", "bras-02", "bras-03", "bras-04"),
             "mobile": ("pgw-01", "pgw-02")}
FLOW_SCHEMA = pa.schema(
    [
        ("flow_start", pa.timestamp("us")),
        ("flow_end", pa.timestamp("us")),
        ("src_addr", pa.string()),
        ("dst_addr", pa.string()),
        ("src_port", pa.int32()),
        ("dst_port", pa.int32()),
        ("protocol", pa.int16()),
        ("bytes", pa.int64()),
        ("packets", pa.int64()),
        ("sampling_interval", pa.int32()),
        ("counts_scaled", pa.bool_()),
        ("service", pa.string()),
        ("exporter", pa.string()),
        ("source_file", pa.string()),
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


def flow_source_file(config: SyntheticConfig, week_start: date) -> str:
    return f"synthetic://flows/seed={config.seed}/week={week_key(week_start)}"


@dataclass
class _Connections:
    user: np.ndarray
    start: np.ndarray  # us since week start
    out_bytes: np.ndarray
    in_bytes: np.ndarray
    category: np.ndarray


def _connections(users: FlowUsers, lo: int, hi: int, week_start: date, shares: dict[str, float],
                 rng: np.random.Generator) -> tuple[_Connections, list[ports.PortCategory]]:
    weekly_out, weekly_in = users.weekly_out[lo:hi], users.weekly_in[lo:hi]
    volume_driven = np.ceil((weekly_out + weekly_in) / CONNECTION_CAP[users.service])
    count = (volume_driven + 1 + rng.poisson(EXTRA_CONNECTIONS_MEAN, hi - lo)).astype(np.int64)
    user = np.repeat(np.arange(lo, hi), count)
    out_profile = rhythm.week_profile(users.service, "out", week_start)
    in_profile = rhythm.week_profile(users.service, "in", week_start)
    hour = rng.choice(168, size=len(user), p=out_profile)
    start = hour * HOUR_US + rng.integers(0, HOUR_US, size=len(user))
    # IN weights lean towards the upload rhythm, so IN by hour follows its own shape.
    out_weight = rng.exponential(size=len(user))
    in_weight = rng.exponential(size=len(user)) * (in_profile / out_profile)[hour]
    local = user - lo
    out_bytes = weekly_out[local] * out_weight / np.bincount(local, out_weight)[local]
    in_bytes = weekly_in[local] * in_weight / np.bincount(local, in_weight)[local]
    keys = list(shares)
    categories = [ports.category_from_key(key) for key in keys]
    share_values = np.array([shares[key] for key in keys])
    category = ports.assign_categories(out_bytes + in_bytes, share_values, rng)
    return _Connections(user, start, out_bytes, in_bytes, category), categories


def _sample(true_bytes: np.ndarray, packet_size: np.ndarray, interval: int,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sampled packets and their bytes (unscaled) for 1:N sampling."""
    packets = rng.poisson(true_bytes / packet_size / interval)
    return packets, np.round(packets * packet_size).astype(np.int64)


def _remote_addresses(pool: dict[str, pa.Array], layouts: np.ndarray, ipv6: np.ndarray,
                      rng: np.random.Generator) -> pa.Array:
    names = ("server4", "server6", "peer4", "peer6", "vpn4", "vpn6")
    offsets = np.cumsum([0] + [len(pool[name]) for name in names])
    kind = np.select([layouts == "server", layouts == "none"], [0, 2], default=1)
    slot = 2 * kind + ipv6
    sizes = np.array([len(pool[name]) for name in names])[slot]
    # Popular content servers take most connections: skew towards the first ones.
    pick = np.minimum((sizes * rng.random(len(slot)) ** 3).astype(np.int64), sizes - 1)
    combined = pa.concat_arrays([pool[name] for name in names])
    return pc.take(combined, pa.array(offsets[slot] + pick))


def _batch(users: FlowUsers, lo: int, hi: int, week_start: date, config: SyntheticConfig,
           pool: dict[str, pa.Array], rng: np.random.Generator) -> pa.Table:
    parameters = load_parameters(config.parameters_path)
    shares = port_shares(parameters, users.service, week_start)
    conn, categories = _connections(users, lo, hi, week_start, shares, rng)
    protocol, subscriber_port, remote_port = ports.ports_for(categories, conn.category, rng)
    layouts = np.array([c.layout for c in categories])[conn.category]
    tunnel_v4_only = np.isin(protocol, (ports.GRE, ports.IPIP))
    ipv6 = (users.book.has_ipv6[conn.user] & ~tunnel_v4_only
            & (rng.random(len(conn.user)) < IPV6_SHARE_OF_CONNECTIONS[users.service]))
    subscriber = users.book.subscriber_address(conn.user, conn.start, ipv6.astype(np.int64))
    remote = _remote_addresses(pool, layouts, ipv6.astype(np.int64), rng)

    size_out = _packet_sizes(protocol)
    ratio = np.clip(conn.in_bytes / np.maximum(conn.out_bytes, 1.0), 0.0, 1.0)
    carries_payload_both_ways = ~np.isin(protocol, (ports.TCP, ports.UDP))
    size_in = np.where(carries_payload_both_ways, size_out, ACK_SIZE + (size_out - ACK_SIZE) * ratio)
    packets_out, bytes_out = _sample(conn.out_bytes, size_out, config.sampling_interval, rng)
    packets_in, bytes_in = _sample(conn.in_bytes, size_in, config.sampling_interval, rng)

    rate = RATE_MEDIAN_BYTES_PER_S * rng.lognormal(0.0, 1.0, len(conn.user))
    duration = np.minimum((conn.out_bytes + conn.in_bytes) / rate, LONGEST_RECORD_S) * SECOND
    end = np.minimum(conn.start + duration.astype(np.int64), WEEK_US - 1)
    exporter_names = pa.array(EXPORTERS[users.service])
    exporter = pc.take(exporter_names, pa.array(conn.user % len(exporter_names)))

    keep_out, keep_in = packets_out > 0, packets_in > 0
    rows_out = np.flatnonzero(keep_out)
    rows_in = np.flatnonzero(keep_in)
    index = pa.array(np.concatenate([rows_out, rows_in]))
    is_in = np.concatenate([np.zeros(len(rows_out), bool), np.ones(len(rows_in), bool)])
    src = pc.if_else(pa.array(is_in), pc.take(subscriber, index), pc.take(remote, index))
    dst = pc.if_else(pa.array(is_in), pc.take(remote, index), pc.take(subscriber, index))
    conn_index = index.to_numpy()
    src_port = np.where(is_in, subscriber_port[conn_index], remote_port[conn_index])
    dst_port = np.where(is_in, remote_port[conn_index], subscriber_port[conn_index])
    week_start_us = np.datetime64(week_bounds_utc(week_key(week_start), config.timezone)[0], "us")
    order = np.argsort(conn.start[conn_index], kind="stable")
    columns = {
        "flow_start": week_start_us + conn.start[conn_index].astype("timedelta64[us]"),
        "flow_end": week_start_us + end[conn_index].astype("timedelta64[us]"),
        "src_addr": src,
        "dst_addr": dst,
        "src_port": src_port.astype(np.int32),
        "dst_port": dst_port.astype(np.int32),
        "protocol": protocol[conn_index],
        "bytes": np.concatenate([bytes_out[rows_out], bytes_in[rows_in]]),
        "packets": np.concatenate([packets_out[rows_out], packets_in[rows_in]]).astype(np.int64),
        "sampling_interval": np.full(len(conn_index), config.sampling_interval, np.int32),
        "counts_scaled": np.zeros(len(conn_index), bool),
        "service": pa.repeat(users.service, len(conn_index)),
        "exporter": pc.take(exporter, index),
    }
    table = pa.table({name: value for name, value in columns.items()})
    return table.take(pa.array(order))


def _packet_sizes(protocol: np.ndarray) -> np.ndarray:
    lookup = np.zeros(256)
    for number, size in PACKET_SIZE.items():
        lookup[number] = size
    return lookup[protocol]


def flow_tables(groups: list[FlowUsers], week_start: date, config: SyntheticConfig,
                rng_for: callable) -> Iterator[pa.Table]:
    """Batches of flow records for the given user groups, `users_per_batch` users at a time."""
    pool = remote_pool(rng_for(0))
    source_file = flow_source_file(config, week_start)
    next_row = 0
    batch_number = 0
    for users in groups:
        total = len(users.weekly_out)
        for lo in range(0, total, config.users_per_batch):
            batch_number += 1
            hi = min(lo + config.users_per_batch, total)
            table = _batch(users, lo, hi, week_start, config, pool, rng_for(batch_number))
            rows = table.num_rows
            table = table.append_column("source_file", pa.repeat(source_file, rows))
            table = table.append_column(
                "source_row", pa.array(np.arange(next_row, next_row + rows, dtype=np.int64))
            )
            next_row += rows
            yield table.cast(FLOW_SCHEMA)

