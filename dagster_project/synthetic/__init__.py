"""Built-in synthetic source: a small deterministic week of subscribers and their flows.

The generator is vectorized with numpy; every function is a pure function of
(week_start, config), so the same seed always gives the same rows.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from dagster_project.partitions import week_bounds_utc, week_key

SOURCE_FILE = "synthetic"

# (protocol, server port, share of bytes): a coarse broadband port mix.
PORT_MIX = (
    (6, 443, 0.55),
    (6, 80, 0.07),
    (6, 31000, 0.06),
    (17, 443, 0.21),
    (17, 4500, 0.01),
    (50, 0, 0.05),
    (47, 0, 0.05),
)


@dataclass(frozen=True)
class SyntheticConfig:
    seed: int = 2024
    users_per_service: int = 200
    sampling_interval: int = 100
    flows_per_user: int = 20


def _rng(config: SyntheticConfig, week_start: date, stream: str) -> np.random.Generator:
    # One independent stream per (seed, week, table) keeps tables reproducible on their own.
    entropy = [config.seed, week_start.toordinal(), sum(map(ord, stream))]
    return np.random.default_rng(entropy)


def _subscriber_addresses(count: int) -> np.ndarray:
    index = np.arange(count)
    third, fourth = (index // 250).astype(str), (index % 250 + 1).astype(str)
    return np.char.add(np.char.add(np.char.add("10.1.", third), "."), fourth).astype(object)


def assignments(week_start: date, config: SyntheticConfig) -> pd.DataFrame:
    start, end = week_bounds_utc(week_key(week_start))
    users = config.users_per_service
    return pd.DataFrame(
        {
            "subscriber_id": [f"bb{i:07d}" for i in range(users)],
            "service": "broadband",
            "access": "pppoe",
            "customer_class": "personal",
            "address": _subscriber_addresses(users),
            "valid_from": start,
            "valid_to": end,
            "source_file": SOURCE_FILE,
        }
    )


def usage_counters(week_start: date, config: SyntheticConfig) -> pd.DataFrame:
    columns = ["subscriber_id", "service", "access", "customer_class", "day"]
    return pd.DataFrame(columns=[*columns, "bytes_in", "bytes_out", "source_file"])


def flow_batches(week_start: date, config: SyntheticConfig) -> Iterator[pa.Table]:
    rng = _rng(config, week_start, "flows")
    start, _ = week_bounds_utc(week_key(week_start))
    users = config.users_per_service
    count = users * config.flows_per_user
    user = rng.integers(0, users, count)
    mix = rng.choice(len(PORT_MIX), size=count, p=[share for *_, share in PORT_MIX])
    protocol = np.array([p for p, _, _ in PORT_MIX])[mix]
    server_port = np.array([port for _, port, _ in PORT_MIX])[mix]
    client_port = np.where(np.isin(protocol, (6, 17)), rng.integers(32768, 61000, count), 0)
    upload = rng.random(count) < 0.1
    subscriber = _subscriber_addresses(users)[user]
    server = "203.0.113." + rng.integers(1, 255, count).astype(str).astype(object)
    packets = rng.integers(1, 200, count)
    flow_start = [start + timedelta(seconds=int(s)) for s in rng.integers(0, 7 * 86400, count)]
    yield pa.table(
        {
            "flow_start": flow_start,
            "flow_end": flow_start,
            "src_addr": np.where(upload, subscriber, server),
            "dst_addr": np.where(upload, server, subscriber),
            "src_port": np.where(upload, client_port, server_port),
            "dst_port": np.where(upload, server_port, client_port),
            "protocol": protocol.astype(np.int16),
            "bytes": packets * 1200,
            "packets": packets,
            "sampling_interval": np.full(count, config.sampling_interval, dtype=np.int32),
            "counts_scaled": np.zeros(count, dtype=bool),
            "service": np.full(count, "broadband", dtype=object),
            "exporter": np.full(count, "synthetic-bras", dtype=object),
            "source_file": np.full(count, SOURCE_FILE, dtype=object),
            "source_row": np.arange(count, dtype=np.int64),
        }
    )


def monthly_totals(config: SyntheticConfig) -> pd.DataFrame:
    months = pd.date_range("2019-01-01", "2024-06-01", freq="MS")
    rows = [
        (month.date(), "broadband", "pppoe", direction, 10**15 * (1 + 0.01 * i))
        for i, month in enumerate(months)
        for direction in ("IN", "OUT")
    ]
    frame = pd.DataFrame(rows, columns=["month", "service", "access", "direction", "bytes"])
    frame["source_file"] = SOURCE_FILE
    return frame
