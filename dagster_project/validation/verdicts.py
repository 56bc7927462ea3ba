"""The validation record: the latest verdict of every check on every asset, per week.

Figures, tables and pages drawn in a later run than the checks must know how each check of
their inputs ended for the weeks they read. The orchestrator keeps check results in its own
event log, but offers no public way to read them back per week, so every check (GX suites
and dbt tests alike) also writes its verdict here: one small JSON file per week, asset and
check under `<data dir>/validation/verdicts/`. Loading a week clears that week's verdicts,
so a check that did not run in the week's latest run reads as "not run", never as an old
"passed". Verdicts name assets and checks only, never a subscriber or an address.
"""

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from dagster_project.settings import data_dir

PASSED, WARNED, FAILED, NOT_RUN = "passed", "warned", "failed", "not run"
# "warned": a warning-severity check (drift) failed; it flags the data but does not block it.
OUTCOMES = (PASSED, WARNED, FAILED, NOT_RUN)
# Verdicts under which data may be drawn: a warning flags the data but never blocks it.
DRAWABLE = frozenset({PASSED, WARNED})
ALL_WEEKS = "all"  # the "week" of a check on an unpartitioned asset


@dataclass(frozen=True)
class Verdict:
    """How one check of one asset ended for one week (or for all weeks)."""

    asset: str
    check: str
    status: str  # PASSED, WARNED or FAILED
    week: str = ALL_WEEKS  # partition key of the week the check validated
    run_id: str = ""

    @property
    def label(self) -> str:
        return self.asset if self.week == ALL_WEEKS else f"{self.asset} [{self.week}]"


def status_of(passed: bool, blocking: bool) -> str:
    """A failed check that does not block (drift, shares of rejected records) only warns."""
    if passed:
        return PASSED
    return FAILED if blocking else WARNED


def verdicts_dir() -> Path:
    return data_dir() / "validation" / "verdicts"


def _path(asset: str, check: str, week: str) -> Path:
    return verdicts_dir() / week / asset / f"{check}.json"


def record(verdict: Verdict) -> None:
    """Store a verdict, replacing the previous one of that check and week atomically."""
    path = _path(verdict.asset, verdict.check, verdict.week)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(asdict(verdict), sort_keys=True))
    os.replace(partial, path)


def clear_week(week: str) -> None:
    """Forget every verdict of a week: its data is being replaced."""
    shutil.rmtree(verdicts_dir() / week, ignore_errors=True)


def recorded_assets(week: str) -> list[str]:
    """The assets with at least one verdict for the week."""
    folder = verdicts_dir() / week
    return (
        sorted(path.name for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []
    )


def recorded_checks(asset: str, week: str) -> list[str]:
    """The checks with a verdict on the asset for the week."""
    folder = verdicts_dir() / week / asset
    return sorted(path.stem for path in folder.glob("*.json")) if folder.is_dir() else []


def latest(asset: str, check: str, week: str) -> Verdict:
    """The check's verdict for the week; NOT_RUN when it has none."""
    path = _path(asset, check, week)
    if not path.is_file():
        return Verdict(asset, check, NOT_RUN, week)
    return Verdict(**json.loads(path.read_text()))


def verdicts_for(
    expected: Iterable[tuple[str, str]], weeks_of: dict[str, Sequence[str]]
) -> tuple[Verdict, ...]:
    """Every expected (asset, check) and every recorded check of those assets, for each week
    in `weeks_of[asset]`, sorted by asset, week and check."""
    wanted: set[tuple[str, str, str]] = set()
    expected_by_asset: dict[str, set[str]] = {}
    for asset, check in expected:
        expected_by_asset.setdefault(asset, set()).add(check)
    for asset, weeks in weeks_of.items():
        for week in weeks:
            checks = expected_by_asset.get(asset, set()) | set(recorded_checks(asset, week))
            wanted |= {(asset, week, check) for check in checks}
    return tuple(latest(asset, check, week) for asset, week, check in sorted(wanted))


class UnvalidatedInputError(Exception):
    """An input of a figure, table or page has a check that failed or did not run."""


def require_drawable(verdicts: Sequence[Verdict]) -> None:
    """Refuse to draw from data whose validation failed or has not run."""
    bad = [v for v in verdicts if v.status not in DRAWABLE]
    if bad:
        listing = "; ".join(f"{v.label} {v.check}: {v.status}" for v in bad[:10])
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise UnvalidatedInputError(
            f"{len(bad)} validation(s) of the inputs did not pass: {listing}{more}. "
            "Re-materialize those weeks (their checks run with them) before drawing."
        )
