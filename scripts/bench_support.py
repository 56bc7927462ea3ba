"""What the benchmarks share: a synthetic week of a given size, address numbers in SQL, the
memory and CPU time of a process tree, the machine's load, one JSON line per measurement.

The week is the built-in synthetic week (dagster_project/sources/synthetic) with every user
count scaled so that it holds about the wanted number of flow records: the same calibrated
volumes, rhythms, ports and address reassignments at every size.
"""

import bisect
import json
import os
import resource
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import duckdb  # noqa: E402

from dagster_project.sources.source_config import PrivacySettings, SourcesConfig  # noqa: E402
from dagster_project.sources.synthetic import SyntheticConfig  # noqa: E402
from dagster_project.sources.week_load import LoadReport, load_week  # noqa: E402
from dagster_project.weeks.analysis_week import AnalysisWeek  # noqa: E402

WEEK = date(2024, 6, 3)
# Flow records of the synthetic week 2024-06-03 with the default SyntheticConfig; flows
# grow in proportion to the users, so this sets the scale for a wanted number of flows.
DEFAULT_CONFIG_FLOWS = 284_874
SCALED_USERS = ("pppoe_users", "ipoe_users", "mobile_users", "mobile_flow_users")
# Raw addresses are kept after attribution (privacy.keep_raw_addresses_days), so that the
# reference query can attribute the same flows after the run.
KEEP_ADDRESSES_DAYS = 36_500
SAMPLE_SECONDS = 0.1
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def bench_week() -> AnalysisWeek:
    return AnalysisWeek(WEEK)


def synthetic_config(flows: int) -> SyntheticConfig:
    """The default synthetic configuration with its users scaled to about `flows` records."""
    default = SyntheticConfig()
    scale = flows / DEFAULT_CONFIG_FLOWS
    return default.model_copy(
        update={name: max(1, round(getattr(default, name) * scale)) for name in SCALED_USERS}
    )


def process_tree(root: int) -> list[int]:
    """`root` and every process below it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            parents.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(parents.get(pid, []))
    return tree


TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def resident_and_cpu(pids: list[int]) -> tuple[int, float]:
    """Resident bytes and CPU seconds of the processes; the CPU of each includes that of its
    children that have ended (cutime, cstime), so the sum over a tree only grows."""
    rss, ticks = 0, 0
    for pid in pids:
        try:
            rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        times = stat[stat.rindex(")") + 2 :].split()[11:15]  # utime stime cutime cstime
        ticks += sum(int(value) for value in times)
    return rss, ticks / TICKS_PER_SECOND


class TreeSampler:
    """Resident memory and CPU time of a process and all its descendants, sampled in the
    background, so that any time window (a step of a run) can be read afterwards."""

    def __init__(self, root: int, disk: Path | None = None) -> None:
        self.root = root
        self.samples: list[tuple[float, int, float]] = []  # (unix time, bytes, CPU seconds)
        self.disk = disk  # a folder whose file system's used bytes are sampled too
        self.disk_used: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), *resident_and_cpu(process_tree(self.root))))
            if self.disk is not None:
                self.disk_used.append(shutil.disk_usage(self.disk).used)
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _window(self, start: float, end: float) -> list[tuple[float, int, float]]:
        """The samples from the last one at or before `start` to the first one at or after
        `end` (unix times): a window shorter than the sampling period has none inside."""
        times = [sample[0] for sample in self.samples]
        first = max(bisect.bisect_right(times, start) - 1, 0)
        last = min(bisect.bisect_left(times, end), len(times) - 1)
        return self.samples[first : last + 1]

    def peak_mib(self, start: float = 0.0, end: float = float("inf")) -> float:
        return max((rss for _, rss, _ in self._window(start, end)), default=0) / 2**20

    def peak_disk_gib(self) -> float:
        """The most the file system of `disk` held above its level at the start, in GiB
        (other processes' files included)."""
        return (max(self.disk_used) - self.disk_used[0]) / 2**30 if self.disk_used else 0.0

    def cpu_seconds(self, start: float = 0.0, end: float = float("inf")) -> float:
        """The CPU seconds the tree used in the window. A process's time can be read only
        while it exists: a sample taken once the root has ended (or a child, before its
        parent counts it) reads less than the one before, so the window's highest counts."""
        window = self._window(start, end)
        return max(cpu for _, _, cpu in window) - window[0][2] if window else 0.0


def synthetic_sources(flows: int) -> SourcesConfig:
    """The built-in source with the week of about `flows` records, addresses kept."""
    return SourcesConfig(
        kind="synthetic",
        synthetic=synthetic_config(flows),
        privacy=PrivacySettings(keep_raw_addresses_days=KEEP_ADDRESSES_DAYS),
    )


def load_synthetic_week(warehouse: Path, flows: int) -> LoadReport:
    """The week of about `flows` records loaded into the raw tables of `warehouse`, the way
    the raw asset loads it."""
    with duckdb.connect(str(warehouse)) as con:
        return load_week(con, bench_week(), synthetic_sources(flows), "benchmark")


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The processor's name (Linux's /proc/cpuinfo): the same work takes 1.7 times as long on
    one 2-core machine as on another, so a timing means little without it."""
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else "unknown"


def stolen_cpu_seconds(stat: Path = Path("/proc/stat")) -> float:
    """CPU seconds the hypervisor has given other guests since boot, all CPUs together (the
    steal column of /proc/stat's first line; 0 where there is none): time a run waited for
    a processor it was not given."""
    if not stat.exists():
        return 0.0
    ticks = stat.read_text().splitlines()[0].split()
    steal = int(ticks[8]) if len(ticks) > 8 else 0
    return steal / os.sysconf("SC_CLK_TCK")


@dataclass
class Measurement:
    """One line of a benchmark's output: a step, its wall and CPU time and peak memory."""

    step: str
    seconds: float
    peak_rss_mib: float | None = None
    cpu_seconds: float | None = None
    ratio_to_reference: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def sampled(cls, step: str, seconds: float, sampler: "TreeSampler", start: float = 0.0,
                end: float = float("inf")) -> "Measurement":  # fmt: skip
        """A step whose memory and CPU are those of `sampler` from `start` to `end`."""
        return cls(step, seconds, sampler.peak_mib(start, end), sampler.cpu_seconds(start, end))

    def json(self) -> str:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "details"}
        rounded = {name: round(value, 3) if isinstance(value, float) else value
                   for name, value in values.items() if value is not None}  # fmt: skip
        return json.dumps({**rounded, **self.details})


def clocked(function: Any, *arguments: Any) -> tuple[Any, tuple[float, float]]:
    """What `function` returns, and when it started and ended (unix times)."""
    started = time.time()
    result = function(*arguments)
    return result, (started, time.time())
