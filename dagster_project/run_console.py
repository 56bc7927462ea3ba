"""A quiet console for the command line: one progress line per run, everything else to a log.

Dagster's event log (DEBUG included), dbt's output, warnings and progress bars go to a log
file by redirecting the process's stdout and stderr file descriptors (which child processes
such as dbt inherit); the terminal gets only the lines written through `Console`. No Dagster
import here: this is formatting and file descriptors.
"""

import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO

# CSI sequences (colors, cursor moves) and the other two-character escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
# Indentation of the lines that explain a failed run, under its progress line.
DETAIL_INDENT = "      "


def format_duration(seconds: float) -> str:
    """41.2 s, 6 min 12 s, 1 h 02 min: tenths under a minute, then whole units."""
    seconds = max(seconds, 0.0)
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_prefix(index: int, total: int, label: str) -> str:
    """The start of a step's line, written when the step starts: `[3/10] week 2021-05-31 ...`."""
    width = len(str(total))
    return f"[{index:>{width}}/{total}] {label} ..."


def progress_outcome(outcome: str, seconds: float) -> str:
    """The end of a step's line, written when it ends: `done in 41.2 s`."""
    return f"{outcome} in {format_duration(seconds)}"


def progress_line(index: int, total: int, label: str, outcome: str, seconds: float) -> str:
    """`[3/10] week 2021-05-31 ... done in 41.2 s`."""
    return f"{progress_prefix(index, total, label)} {progress_outcome(outcome, seconds)}"


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def one_line(text: str, width: int | None = None) -> str:
    """The first non-empty line of `text`, without escape codes or runs of blanks, cut to width."""
    lines = (" ".join(strip_ansi(line).split()) for line in text.splitlines())
    first = next((line for line in lines if line), "")
    if width is not None and len(first) > width:
        first = first[: max(width - 3, 0)] + "..."
    return first


def failure_lines(failures: Sequence[tuple[str, str]], limit: int = 3) -> list[str]:
    """One line per distinct reason, naming its first failed step: `step (+2 steps): reason`.

    `failures` are (step, reason) pairs in the order the steps failed; steps that failed for
    the same reason share a line; past `limit` reasons, one line counts the other steps.
    """
    steps_by_reason: dict[str, list[str]] = {}
    for step, reason in failures:
        steps_by_reason.setdefault(reason, []).append(step)
    lines = []
    for reason, steps in list(steps_by_reason.items())[:limit]:
        others = f" (+{len(steps) - 1} {'step' if len(steps) == 2 else 'steps'})"
        lines.append(f"{steps[0]}{others if len(steps) > 1 else ''}: {reason}")
    rest = sum(len(steps) for steps in list(steps_by_reason.values())[limit:])
    if rest:
        lines.append(f"... and {rest} more failed {'step' if rest == 1 else 'steps'}")
    return lines


def terminal_width(stream: TextIO, default: int = 300) -> int:
    """Columns of the terminal `stream` is on (COLUMNS wins); `default` when not a terminal."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    try:
        fd = stream.fileno()
        return os.get_terminal_size(fd).columns if os.isatty(fd) else default
    except (AttributeError, OSError, ValueError):
        return default


def log_file_path(logs_dir: Path, command: str, now: datetime) -> Path:
    """`<logs_dir>/<command>-<UTC timestamp>.log`, a name no earlier run of this second took."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    path = logs_dir / f"{command}-{stamp}.log"
    number = 1
    while path.exists():
        number += 1
        path = logs_dir / f"{command}-{stamp}-{number}.log"
    return path


class Console:
    """Lines for the terminal; each is copied into the log, after what is waiting in sys.stdout
    and sys.stderr (there, they mark where each step's output starts and ends)."""

    def __init__(self, terminal: TextIO, log: TextIO | None = None):
        self.terminal = terminal
        self.log = log
        self.width = terminal_width(terminal)
        self._prefix = ""

    def _terminal(self, text: str) -> None:
        self.terminal.write(text)
        self.terminal.flush()

    def _log(self, text: str) -> None:
        if self.log is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            self.log.write(text)
            self.log.flush()

    def line(self, text: str = "") -> None:
        self._terminal(text + "\n")
        self._log(text + "\n")

    def begin(self, prefix: str) -> None:
        """Start a progress line on the terminal; `end` completes it."""
        self._prefix = prefix
        self._terminal(prefix + " ")
        self._log(prefix + "\n")

    def end(self, outcome: str) -> None:
        """Complete the progress line; the log gets it whole, after the step's output."""
        self._terminal(outcome + "\n")
        self._log(f"{self._prefix} {outcome}\n")

    def detail(self, text: str) -> None:
        """An indented line under a step, cut to the terminal's width."""
        self.line(DETAIL_INDENT + one_line(text, self.width - len(DETAIL_INDENT)))


@contextmanager
def output_to_log(log_path: Path) -> Iterator[Console]:
    """Send fds 1 and 2 (Python, Dagster, dbt and other child processes) to `log_path`.

    Yields a `Console` that still writes to the original stdout. Both fds are restored on
    exit, also when the block raises.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = open(os.dup(saved_out), "w", buffering=1, encoding="utf-8", closefd=True)  # noqa: SIM115
    try:
        with open(log_path, "a", encoding="utf-8") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield Console(terminal, log)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved_out, 1)
                os.dup2(saved_err, 2)
    finally:
        terminal.close()
        os.close(saved_out)
        os.close(saved_err)
