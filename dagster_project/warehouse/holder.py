"""Which process on which host holds the warehouse or runs a run, and whether it still lives.

A pid alone is not an identity: after a kill the kernel may give the same pid to another
process. The process start time (in clock ticks since boot, from /proc) tells them apart.
"""

import os
import socket
from dataclasses import dataclass
from pathlib import Path


def process_start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot), or None if there is no such process.

    Reads /proc (Linux); elsewhere 0 for a process that exists, which compares by pid only.
    """
    stat = Path(f"/proc/{pid}/stat")
    if not Path("/proc/self/stat").exists():
        return 0 if _pid_exists(pid) else None
    try:
        text = stat.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) is in parentheses and may contain spaces: split after it.
    # Field 3 is the state; a zombie has ended and only waits for its parent to reap it.
    fields = text.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Worker:
    """A process: host name, pid and start time."""

    host: str
    pid: int
    started: int

    @classmethod
    def current(cls) -> "Worker":
        pid = os.getpid()
        return cls(socket.gethostname(), pid, process_start_ticks(pid) or 0)

    def tag(self) -> str:
        """`host/pid/start ticks`, the form kept in run tags and in the lock file."""
        return f"{self.host}/{self.pid}/{self.started}"

    @classmethod
    def from_tag(cls, text: str) -> "Worker | None":
        parts = text.split("/")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            return None
        return cls(parts[0], int(parts[1]), int(parts[2]))

    def is_local(self) -> bool:
        return self.host == socket.gethostname()

    def is_alive(self) -> bool:
        """Whether this process still runs (only answerable on its own host: True elsewhere)."""
        if not self.is_local():
            return True
        started = process_start_ticks(self.pid)
        if started is None:
            return False
        # 0 means the start time is unknown (no /proc): then the pid has to do.
        return 0 in (started, self.started) or started == self.started

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"
