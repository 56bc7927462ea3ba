"""The exporters of an nfcapd file and the sampling nfcapd applied to their records.

`nfdump -E FILE` lists each exporter ("SysID: 1, IP: ..., version: 9, ...") and under it
the samplers nfcapd knew ("Sampler: Static default Sampler: ... packet interval: 1, packet
space: 999" = one packet in every 1000). nfcapd scales a record's counts and marks it
sampled when a sampler applies to it; which one applies is decided per record (nfdump
1.7.1, netflow_v5_v7.c, netflow_v9.c, ipfix.c):

- NetFlow v5/v7: the exporter's one sampler, set up before its first record, when its
  packet space is above 1;
- NetFlow v9/IPFIX: a static sampler of the collector (`-s N` default, `-s -N` overwrite),
  set up before the exporter's first record, applies to every record; a sampler the
  exporter announces (assigned to a sampler id, or generic) applies from the moment its
  option record arrives, and an assigned one only to the records that name its id.

So for exporters without samplers, and for those whose records are all scaled by a static
sampler, every record's sampling follows from this listing (`uniform_sampling`); records
of the others carry their own flag, which only nfdump's JSON output prints.
"""

import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

EXPORTER_LINE = re.compile(r"^SysID:\s*(\d+),\s*IP:\s*(\S+),\s*version:\s*(\d+)")
# Exporters with records in the file end their line with their counts.
FLOWS_FIELD = re.compile(r"flows:\s*(\d+)")
SAMPLER_LINE = re.compile(
    r"Sampler:\s*(Static overwrite|Static default|Generic|Assigned) Sampler:.*"
    r"packet interval:\s*(\d+),\s*packet space:\s*(\d+)"
)
NETFLOW_V5 = (5, 7)
NETFLOW_V9 = (9, 10)  # IPFIX is version 10


class NfdumpError(RuntimeError):
    """nfdump could not read an nfcapd file."""


def nfdump_program() -> str:
    program = shutil.which("nfdump")
    if program is None:
        raise NfdumpError(
            "the nfdump program is not installed (scripts/install_system_packages.sh installs it)"
        )
    return program


@dataclass(frozen=True)
class Sampler:
    kind: str  # 'Static overwrite', 'Static default', 'Generic' or 'Assigned'
    packet_interval: int
    packet_space: int

    @property
    def interval(self) -> int:
        """The 1:N interval nfcapd multiplied the counts by."""
        return self.packet_interval + self.packet_space


@dataclass(frozen=True)
class Exporter:
    sysid: int
    address: str
    version: int
    flows: int  # its records in the file
    samplers: tuple[Sampler, ...] = ()


@dataclass(frozen=True)
class UniformSampling:
    """How every record of one exporter arrives: scaled by `interval`, or unscaled (None)."""

    interval: int | None


def nfcapd_exporters(nfcapd_path: Path) -> list[Exporter]:
    """The exporters `nfdump -E` lists for a file, each with its samplers in order."""
    completed = subprocess.run(
        [nfdump_program(), "-E", str(nfcapd_path)], capture_output=True, text=True, check=False
    )
    exporters: list[Exporter] = []
    for line in completed.stdout.splitlines():
        if match := EXPORTER_LINE.match(line.strip()):
            sysid, address, version = match.groups()
            flows = FLOWS_FIELD.search(line)
            exporters.append(
                Exporter(int(sysid), address, int(version), int(flows.group(1)) if flows else 0)
            )
        elif (match := SAMPLER_LINE.search(line)) and exporters:
            kind, interval, space = match.groups()
            sampler = Sampler(kind, int(interval), int(space))
            exporters[-1] = replace(exporters[-1], samplers=(*exporters[-1].samplers, sampler))
    return exporters


def applied_intervals(exporters: list[Exporter]) -> dict[int, int]:
    """Per exporter SysID, the interval of its first sampler.

    nfdump 1.7 records do not say which sampler scaled them, so for exporters with several
    samplers this is the first one's."""
    return {
        exporter.sysid: exporter.samplers[0].interval for exporter in exporters if exporter.samplers
    }


def uniform_sampling(exporter: Exporter) -> UniformSampling | None:
    """The sampling of all of the exporter's records, or None when it can differ per record
    or the exporter is no NetFlow/IPFIX one (sfcapd marks every sFlow record sampled)."""
    kinds = [sampler.kind for sampler in exporter.samplers]
    if exporter.version not in (*NETFLOW_V5, *NETFLOW_V9):
        return None
    if not kinds:
        return UniformSampling(None)
    if exporter.version in NETFLOW_V5:
        first = exporter.samplers[0]
        return UniformSampling(first.interval if first.packet_space > 1 else None)
    if "Static overwrite" in kinds:  # applies whatever else is known
        return UniformSampling(exporter.samplers[kinds.index("Static overwrite")].interval)
    if kinds == ["Static default"]:  # applies when no announced sampler does
        return UniformSampling(exporter.samplers[0].interval)
    return None


def one_exporter(exporters: list[Exporter]) -> Exporter | None:
    """The exporter of every record of a file, its flows summed over the observation domains
    (SysIDs) it exported from, when all of them share one address and one uniform sampling;
    None when records of one file differ in either."""
    with_flows = [exporter for exporter in exporters if exporter.flows]
    if not with_flows:
        return None
    first = with_flows[0]
    sampling = uniform_sampling(first)
    if sampling is None or any(
        exporter.address != first.address or uniform_sampling(exporter) != sampling
        for exporter in with_flows
    ):
        return None
    return replace(first, flows=sum(exporter.flows for exporter in with_flows))
