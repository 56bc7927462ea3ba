"""Benchmark input for the nfcapd reader: flows exported as NetFlow v9 to a real nfcapd.

The benchmark needs nfcapd files of a known week; the only program that writes them is the
collector, so the flows are encoded as NetFlow v9 export packets (one IPv4 and one IPv6
template) and sent over loopback to an `nfcapd` started for each file. Records are packed
into packets with numpy; Python loops over packets only (about 37 flows each).

Input: a DuckDB query with the columns first_ms, last_ms (milliseconds since the exporter's
boot), ipv6, src_hi, src_lo, dst_hi, dst_lo (addresses as numbers: IPv4 in the low half,
IPv6 as two 64-bit halves), src_port, dst_port, protocol, packets and bytes. Counts are
sent unscaled and nfcapd runs with `-s N`, so it scales them and marks the records sampled,
as a collector with a configured sampling rate does.
"""

import calendar
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
from bench_support import PROJECT_ROOT  # noqa: F401  (puts the project on sys.path)

from tests.support.flowtools import nfcapd_collector

TEMPLATE_IPV4, TEMPLATE_IPV6 = 256, 257
# (NetFlow v9 field type, length): times, addresses, ports, protocol, counts.
_TIMES = ((22, 4), (21, 4))  # FIRST_SWITCHED, LAST_SWITCHED (ms of system uptime)
_PORTS_AND_COUNTS = ((7, 2), (11, 2), (4, 1), (2, 8), (1, 8))  # ports, protocol, IN_PKTS, IN_BYTES
TEMPLATE_FIELDS = {
    TEMPLATE_IPV4: (*_TIMES, (8, 4), (12, 4), *_PORTS_AND_COUNTS),
    TEMPLATE_IPV6: (*_TIMES, (27, 16), (28, 16), *_PORTS_AND_COUNTS),
}
RECORD_DTYPES = {
    TEMPLATE_IPV4: np.dtype(
        [("first", ">u4"), ("last", ">u4"), ("src", ">u4"), ("dst", ">u4"), ("sp", ">u2"),
         ("dp", ">u2"), ("pr", "u1"), ("pkts", ">u8"), ("bytes", ">u8")]
    ),
    TEMPLATE_IPV6: np.dtype(
        [("first", ">u4"), ("last", ">u4"), ("src_hi", ">u8"), ("src_lo", ">u8"),
         ("dst_hi", ">u8"), ("dst_lo", ">u8"), ("sp", ">u2"), ("dp", ">u2"), ("pr", "u1"),
         ("pkts", ">u8"), ("bytes", ">u8")]
    ),
}  # fmt: skip
MAX_PAYLOAD = 1400  # below a loopback or Ethernet MTU, like a router's export packets
HEADER_BYTES, FLOWSET_HEADER_BYTES = 20, 4
# Uptime at export: every packet is sent as if 9 days after the exporter booted, so that a
# record's FIRST_SWITCHED is its start in ms since the boot (`first_ms`) for any flow of a
# week that starts a day after the boot.
EXPORT_UPTIME_MS = 9 * 86_400_000
# Packets sent between short pauses: nfcapd must keep up or the kernel drops datagrams.
BURST_PACKETS = 64
BURST_PAUSE_SECONDS = 0.0005
COLLECTOR_RECEIVE_BUFFER_BYTES = 16 << 20


def _template_flowset() -> bytes:
    """Both templates in one flowset, sent at the start of every packet (cheap, and a lost
    packet never leaves nfcapd without them)."""
    body = b""
    for template_id, fields in TEMPLATE_FIELDS.items():
        body += np.array([template_id, len(fields)], ">u2").tobytes()
        body += np.array(fields, ">u2").tobytes()
    return np.array([0, FLOWSET_HEADER_BYTES + len(body)], ">u2").tobytes() + body


TEMPLATES = _template_flowset()


def records_per_packet(template_id: int) -> int:
    room = MAX_PAYLOAD - HEADER_BYTES - len(TEMPLATES) - FLOWSET_HEADER_BYTES
    return room // RECORD_DTYPES[template_id].itemsize


def packed_records(columns: dict[str, np.ndarray], template_id: int) -> np.ndarray:
    """The flows as NetFlow v9 data records of a template, big-endian and unpadded."""
    records = np.empty(len(columns["first_ms"]), RECORD_DTYPES[template_id])
    records["first"], records["last"] = columns["first_ms"], columns["last_ms"]
    if template_id == TEMPLATE_IPV4:
        records["src"], records["dst"] = columns["src_lo"], columns["dst_lo"]
    else:
        for end in ("src", "dst"):
            records[f"{end}_hi"], records[f"{end}_lo"] = columns[f"{end}_hi"], columns[f"{end}_lo"]
    records["sp"], records["dp"], records["pr"] = (
        columns["src_port"], columns["dst_port"], columns["protocol"]
    )  # fmt: skip
    records["pkts"], records["bytes"] = columns["packets"], columns["bytes"]
    return records


def export_packets(
    records: np.ndarray, template_id: int, unix_secs: int, sequence: int
) -> Iterator[bytes]:
    """NetFlow v9 packets carrying `records`: header, templates, one data flowset."""
    per_packet = records_per_packet(template_id)
    data = records.tobytes()
    size = records.dtype.itemsize
    for offset in range(0, len(records), per_packet):
        chunk = data[offset * size : (offset + per_packet) * size]
        count = len(chunk) // size
        padding = b"\0" * (-(FLOWSET_HEADER_BYTES + len(chunk)) % 4)
        header = (
            np.array([9, count + 2], ">u2").tobytes()
            + np.array([EXPORT_UPTIME_MS, unix_secs, sequence, 1], ">u4").tobytes()
        )
        flowset = np.array([template_id, FLOWSET_HEADER_BYTES + len(chunk) + len(padding)], ">u2")
        yield header + TEMPLATES + flowset.tobytes() + chunk + padding
        sequence += 1


def _send(packets: Iterator[bytes], port: int) -> int:
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for sent, packet in enumerate(packets, 1):
            sender.sendto(packet, ("127.0.0.1", port))
            if sent % BURST_PACKETS == 0:
                time.sleep(BURST_PAUSE_SECONDS)
    return sent


def file_flows(path: Path) -> int:
    """Flows in an nfcapd file, from its statistics record."""
    info = subprocess.run(["nfdump", "-I", "-r", str(path)], capture_output=True, text=True)
    for line in info.stdout.splitlines():
        if line.startswith("Flows:"):
            return int(line.split(":")[1])
    raise RuntimeError(f"nfdump -I {path}: no flow count ({info.stderr.strip()})")


def write_nfcapd_file(
    con: duckdb.DuckDBPyConnection, flows_sql: str, target: Path, boot: datetime,
    sampling_interval: int,
) -> int:  # fmt: skip
    """Export the flows of `flows_sql` (times in ms since `boot`, naive UTC) through nfcapd
    into the file `target`; returns how many flows the file holds (fewer than exported if
    the kernel dropped datagrams)."""
    unix_secs = calendar.timegm(boot.timetuple()) + EXPORT_UPTIME_MS // 1000
    folder = target.parent / f".{target.name}.collecting"
    # nfcapd's output in a scratch file, not beside the week's files: `nfdump -R` on their
    # folder stops at the first file that is not nfcapd's ("bad magic") and reads nothing
    receive_buffer = ("-B", str(COLLECTOR_RECEIVE_BUFFER_BYTES))
    with (
        tempfile.NamedTemporaryFile(prefix="nfcapd-", suffix=".log") as log,
        nfcapd_collector(folder, sampling_interval, receive_buffer, Path(log.name)) as port,
    ):
        sequence = 0
        for ipv6, template_id in ((False, TEMPLATE_IPV4), (True, TEMPLATE_IPV6)):
            columns = con.execute(f"select * from ({flows_sql}) where ipv6 = {ipv6}").fetchnumpy()
            records = packed_records(columns, template_id)
            sequence += _send(export_packets(records, template_id, unix_secs, sequence), port)
    (written,) = [path for path in folder.glob("nfcapd.*") if "current" not in path.name]
    written.rename(target)
    folder.rmdir()
    return file_flows(target)
