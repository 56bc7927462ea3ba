"""A benchmark week as what a deployment reads: input files and the sources.yaml for them.

- `synthetic`: no files, the built-in source generates the week inside the run;
- `parquet`: flows as canonical Parquet files, assignments and counters as Parquet;
- `nfcapd`: flows as nfcapd files, one folder per service, written by a real nfcapd that
  receives them as NetFlow v9 (bench_netflow.py); assignments and counters as Parquet.

The files hold the synthetic week of bench_support.synthetic_config; a folder that already
holds a complete week of the same configuration is reused (`week.json` says which).
"""

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from bench_netflow import write_nfcapd_file
from bench_support import KEEP_ADDRESSES_DAYS, bench_week

from dagster_project.sources import synthetic
from dagster_project.sources.address_numbers import is_ipv4_sql
from dagster_project.sources.synthetic import SyntheticConfig

SOURCES = ("synthetic", "parquet", "nfcapd")
SERVICES = ("broadband", "mobile")
NOT_FILE_COLUMNS = ["source_file", "source_row"]
IPV4_BITS = 2**32 - 1
EXPORT_ATTEMPTS = 3
# The exporter's clock starts a day before the week, so every flow time is after it.
BOOT_BEFORE_WEEK = timedelta(days=1)


def sources_yaml(directory: Path, config: SyntheticConfig, source: str) -> Path:
    """Write the sources.yaml of the week's files (or of the synthetic source)."""
    privacy = {"keep_raw_addresses_days": KEEP_ADDRESSES_DAYS}
    if source == "synthetic":
        scale = config.model_dump(mode="json", exclude_defaults=True)
        content = {"kind": "synthetic", "synthetic": scale, "privacy": privacy}
    else:
        tables = {
            table: [{"name": f"bench-{table}", "format": "parquet",
                     "path": str(directory / f"{table}.parquet")}]
            for table in ("assignments", "usage_counters")
        }  # fmt: skip
        content = {"kind": "files", "privacy": privacy,
                   "files": {"flows": flow_sources(directory, source), **tables}}  # fmt: skip
    path = directory / "sources.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def flow_sources(directory: Path, source: str) -> list[dict[str, object]]:
    if source == "parquet":
        return [{"name": "bench-flows", "format": "canonical_parquet",
                 "path": str(directory / "flows" / "*.parquet")}]  # fmt: skip
    return [
        {"name": f"bench-{service}", "format": "nfcapd", "service": service,
         "path": str(directory / "flows" / service / "nfcapd.*")}
        for service in SERVICES
    ]  # fmt: skip


def _write_tables(directory: Path, config: SyntheticConfig) -> None:
    week = bench_week()
    for name, frame in (
        ("assignments", synthetic.assignments_as_text(synthetic.assignments(week, config))),
        ("usage_counters", synthetic.usage_counters(week, config)),
    ):
        frame.drop(columns="source_file").to_parquet(directory / f"{name}.parquet", index=False)


def _write_parquet_flows(folder: Path, config: SyntheticConfig, file_flows: int) -> int:
    """The week's flows as canonical Parquet files of about `file_flows` records each."""
    written, writer, in_file = 0, None, 0
    for batch in synthetic.flow_batches(bench_week(), config):
        table = synthetic.flows_as_text(batch).drop_columns(NOT_FILE_COLUMNS)
        if writer is None or in_file >= file_flows:
            if writer is not None:
                writer.close()
            writer = pq.ParquetWriter(folder / f"flows-{written:012d}.parquet", table.schema)
            in_file = 0
        writer.write_table(table)
        in_file += table.num_rows
        written += table.num_rows
    if writer is not None:
        writer.close()
    return written


def _numbered_flows(con: duckdb.DuckDBPyConnection, config: SyntheticConfig) -> dict[str, int]:
    """The week's flows in the table `flows`, numbered from 0 within their service in `seq`;
    how many each service has."""
    con.execute("create or replace table flows (seq bigint, flow_start timestamp, "
                "flow_end timestamp, src_addr_hi bigint, src_addr_lo bigint, "
                "dst_addr_hi bigint, dst_addr_lo bigint, src_port integer, "
                "dst_port integer, protocol smallint, bytes bigint, packets bigint, "
                "service varchar)")  # fmt: skip
    counts = dict.fromkeys(SERVICES, 0)
    for batch in synthetic.flow_batches(bench_week(), config):
        services = batch.column("service").to_numpy(zero_copy_only=False)
        seq = np.zeros(batch.num_rows, dtype=np.int64)
        for service in SERVICES:
            mine = services == service
            seq[mine] = counts[service] + np.arange(int(mine.sum()))
            counts[service] += int(mine.sum())
        con.register("batch", batch.append_column("seq", pa.array(seq)))
        con.execute("insert into flows by name select * exclude (sampling_interval, "
                    "counts_scaled, sampling_origin, exporter, source_file, source_row) "
                    "from batch")  # fmt: skip
        con.unregister("batch")
    return counts


def netflow_sql(boot: str, where: str) -> str:
    """The flows of `where` in the columns that bench_netflow.write_nfcapd_file reads: each
    address as two unsigned 64-bit halves, an IPv4 address as its 32 bits in the low half
    (the load's numbers map IPv4 into ::ffff:0:0/96; NetFlow's IPv4 fields do not)."""
    return f"""
        select
            (epoch_ms(flow_start) - epoch_ms(timestamp '{boot}'))::uinteger as first_ms,
            (epoch_ms(flow_end) - epoch_ms(timestamp '{boot}'))::uinteger as last_ms,
            not {is_ipv4_sql("src_addr_hi", "src_addr_lo")} as ipv6,
            {_netflow_halves("src")},
            {_netflow_halves("dst")},
            src_port::usmallint as src_port, dst_port::usmallint as dst_port,
            protocol::utinyint as protocol, packets::ubigint as packets, bytes::ubigint as bytes
        from flows
        where {where}
    """


def _netflow_halves(end: str) -> str:
    hi, lo = f"{end}_addr_hi", f"{end}_addr_lo"
    low = f"case when ipv6 then {_unsigned(lo)} else ({lo} & {IPV4_BITS})::ubigint end"
    return f"{_unsigned(hi)} as {end}_hi, {low} as {end}_lo"


def _unsigned(half: str) -> str:
    """A two's complement half as the unsigned number of its bits."""
    return f"({half}::hugeint + case when {half} < 0 then {2**64} else 0 end)::ubigint"


def _write_nfcapd_flows(folder: Path, config: SyntheticConfig, file_flows: int) -> int:
    """The week's flows exported through nfcapd, a folder per service, files of about
    `file_flows` records (nfcapd scales the counts: it runs with `-s N`)."""
    boot = bench_week().utc_start - BOOT_BEFORE_WEEK
    with duckdb.connect(str(folder / "flows.duckdb")) as con:
        flows = _numbered_flows(con, config)
        for service in SERVICES:
            (folder / service).mkdir(parents=True, exist_ok=True)
            for number, first in enumerate(range(0, flows[service], file_flows)):
                where = f"service = '{service}' and seq >= {first} and seq < {first + file_flows}"
                target = folder / service / f"nfcapd.{number:06d}"
                _export(con, where, target, boot, config.sampling_interval)
    (folder / "flows.duckdb").unlink()
    return sum(flows.values())


def _export(
    con: duckdb.DuckDBPyConnection, where: str, target: Path, boot: datetime, interval: int
) -> None:
    """One nfcapd file of the flows of `where`, exported again if datagrams were lost."""
    (expected,) = con.execute(f"select count(*) from flows where {where}").fetchone() or (0,)
    sql = netflow_sql(boot.isoformat(sep=" "), where)
    for _attempt in range(EXPORT_ATTEMPTS):
        if write_nfcapd_file(con, sql, target, boot, interval) == expected:
            return
    raise RuntimeError(f"{target}: nfcapd kept fewer than the {expected} flows sent")


def write_week(directory: Path, config: SyntheticConfig, source: str, file_flows: int) -> Path:
    """The week's files for `source` in `directory` (reused when complete); its sources.yaml."""
    stamp = {"source": source, "config": config.model_dump(mode="json"), "file_flows": file_flows}
    marker = directory / "week.json"
    if source != "synthetic" and not (marker.exists() and json.loads(marker.read_text()) == stamp):
        shutil.rmtree(directory, ignore_errors=True)
        (directory / "flows").mkdir(parents=True)
        _write_tables(directory, config)
        write_flows = _write_parquet_flows if source == "parquet" else _write_nfcapd_flows
        write_flows(directory / "flows", config, file_flows)
        marker.write_text(json.dumps(stamp))
    directory.mkdir(parents=True, exist_ok=True)
    return sources_yaml(directory, config, source)
