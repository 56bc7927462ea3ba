"""Driving real collectors and exporters on loopback for the real-data tests.

The pcap reader only walks the classic pcap container and the Ethernet/IP/UDP headers to
hand the UDP payloads (NetFlow/IPFIX export packets) to a collector untouched; decoding
NetFlow is left to the collectors (nfcapd, pmacct).
"""

import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT

PCAP_MAGIC = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
              b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}  # fmt: skip
LINKTYPE_ETHERNET = 1
ETHERTYPE_VLAN = (0x8100, 0x88A8)
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
IPPROTO_UDP = 17
COLLECTOR_DRAIN_SECONDS = 1.0
COLLECTOR_START_ATTEMPTS = 5


def realdata_dir() -> Path | None:
    """shared/realdata beside the project (CI) or beside the worktrees' parent."""
    for candidate in (PROJECT_ROOT.parent / "shared", PROJECT_ROOT.parent.parent / "shared"):
        if (candidate / "realdata").is_dir():
            return candidate / "realdata"
    return None


def missing_programs(*programs: str) -> list[str]:
    return [program for program in programs if shutil.which(program) is None]


def _udp_payload(frame: bytes) -> bytes | None:
    offset, ethertype = 14, struct.unpack("!H", frame[12:14])[0]
    while ethertype in ETHERTYPE_VLAN:
        ethertype = struct.unpack("!H", frame[offset + 2 : offset + 4])[0]
        offset += 4
    if ethertype == ETHERTYPE_IPV4:
        header_length = (frame[offset] & 0x0F) * 4
        protocol, offset = frame[offset + 9], offset + header_length
    elif ethertype == ETHERTYPE_IPV6:
        protocol, offset = frame[offset + 6], offset + 40
    else:
        return None
    if protocol != IPPROTO_UDP:
        return None
    length = struct.unpack("!H", frame[offset + 4 : offset + 6])[0]
    return frame[offset + 8 : offset + length]


def udp_payloads(pcap: Path) -> list[bytes]:
    """UDP payloads of a classic-format Ethernet pcap, in capture order."""
    data = pcap.read_bytes()
    endian = PCAP_MAGIC.get(data[:4])
    if endian is None:
        raise ValueError(f"{pcap}: not a classic pcap file")
    if struct.unpack(endian + "I", data[20:24])[0] != LINKTYPE_ETHERNET:
        raise ValueError(f"{pcap}: only Ethernet captures are supported")
    payloads, offset = [], 24
    while offset + 16 <= len(data):
        captured = struct.unpack(endian + "I", data[offset + 8 : offset + 12])[0]
        payload = _udp_payload(data[offset + 16 : offset + 16 + captured])
        if payload is not None:
            payloads.append(payload)
        offset += 16 + captured
    return payloads


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def udp_port_holders(port: int) -> set[int]:
    """Inodes of the sockets bound to the IPv4 UDP `port`, read from /proc/net/udp.

    Probing with a bind of our own would hold the port for a moment, and a collector
    binding in that moment fails with "Address already in use".
    """
    table = [line.split() for line in Path("/proc/net/udp").read_text().splitlines()[1:]]
    return {int(row[9]) for row in table if int(row[1].split(":")[1], 16) == port}


def holds_udp_port(pid: int, port: int) -> bool:
    """Whether process `pid` has a socket bound to the IPv4 UDP `port`."""
    sockets = {f"socket:[{inode}]" for inode in udp_port_holders(port)}
    return not sockets.isdisjoint(_open_files(pid))


def _open_files(pid: int) -> list[str]:
    """What the descriptors of process `pid` point to; those closed while read (or all, if
    the process has exited) are left out."""
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except FileNotFoundError:
        return []
    return [target for target in map(_link_target, descriptors) if target is not None]


def _link_target(descriptor: Path) -> str | None:
    try:
        return os.readlink(descriptor)
    except FileNotFoundError:
        return None


def _wait_until_bound(port: int, process: subprocess.Popen[bytes]) -> bool:
    """True once nfcapd holds `port`, False if it exited first."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if holds_udp_port(process.pid, port):
            return True
        time.sleep(0.05)
    process.terminate()
    process.wait(timeout=30)
    raise RuntimeError("nfcapd did not bind its port in time")


def _start_nfcapd(command: list[str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """nfcapd running `command` on a free port, and the port.

    A free port can be taken by another process before nfcapd binds it; then nfcapd
    exits and it is started again on another port.
    """
    for _attempt in range(COLLECTOR_START_ATTEMPTS):
        port = free_udp_port()
        with log.open("wb") as output:
            process = subprocess.Popen(
                [*command, "-p", str(port)], stdout=output, stderr=subprocess.STDOUT
            )
        if _wait_until_bound(port, process):
            return process, port
        if "Address already in use" not in log.read_text():
            break
    raise RuntimeError(f"nfcapd exited early: {log.read_text()}")


@contextmanager
def nfcapd_collector(
    directory: Path,
    sampling_interval: int | None = None,
    options: tuple[str, ...] = (),
    log: Path | None = None,
) -> Iterator[int]:
    """Run nfcapd (with further `options`) on a free loopback port writing into `directory`;
    yields the port. nfcapd's output goes to `log` (default: beside `directory`, out of the
    folder that `nfdump -R` reads).

    On exit nfcapd gets a moment to drain its socket, then SIGTERM, which makes it close
    its current file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    command = ["nfcapd", "-w", str(directory), "-b", "127.0.0.1", "-t", "3600"]
    if sampling_interval is not None:
        command += ["-s", str(sampling_interval)]
    command += options
    log = log or directory.parent / f"{directory.name}.nfcapd.log"
    process, port = _start_nfcapd(command, log)
    try:
        yield port
        time.sleep(COLLECTOR_DRAIN_SECONDS)
    finally:
        process.terminate()
        process.wait(timeout=30)


def nfcapd_files(directory: Path) -> list[Path]:
    """Closed nfcapd files (not the collector's current file)."""
    return sorted(p for p in directory.glob("nfcapd.*") if not p.name.endswith("current"))


def replay_udp(pcap: Path, port: int) -> int:
    """Send a capture's UDP payloads in order to 127.0.0.1:port; returns how many."""
    payloads = udp_payloads(pcap)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for payload in payloads:
            sender.sendto(payload, ("127.0.0.1", port))
            time.sleep(0.002)  # keep templates ahead of data on a busy machine
    return len(payloads)


def softflowd_export(pcap: Path, port: int, sampling_interval: int, scratch: Path) -> None:
    """Turn a packet capture into sampled NetFlow v9 sent to 127.0.0.1:port.

    `-a` keeps the capture's own timestamps in the flow records; `-c none` leaves out the
    control socket, with which softflowd would wait for commands after the capture ends.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["softflowd", "-r", str(pcap), "-v", "9", "-s", str(sampling_interval), "-a", "-d",
         "-n", f"127.0.0.1:{port}", "-p", str(scratch / "softflowd.pid"),
         "-c", "none"],
        check=True, capture_output=True, timeout=120, env={**os.environ},
    )  # fmt: skip
