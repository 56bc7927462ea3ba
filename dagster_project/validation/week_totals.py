"""A week's totals per service for the drift checks, computed from its raw files once.

Every week's drift checks compare the week with the one before, so without a record each
week's totals would be computed twice: as "this week" in its own run and as "the previous
week" in the next one (at 100M flows a week that is 11 s of scans, the distinct users alone
9 s). The totals are kept beside the verdicts (`<data dir>/validation/week_totals/`), one small
JSON file per week and quantity, with the identity of what they were computed from: the
query, the raw lake and the load of the week. A week loaded again, another warehouse or a
changed query no longer matches, and the totals are computed again; the address cut, which
rewrites a week's files keeping these totals, does not. Only services and sums are kept,
never a subscriber or an address.
"""

import hashlib
import json
import os
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.settings import data_dir
from dagster_project.sources import raw_lake
from dagster_project.warehouse import week_status

# (service, total); totals are exact integers (sums of bytes, counts of users).
Totals = list[tuple[str, int]]


def totals_dir() -> Path:
    return data_dir() / "validation" / "week_totals"


def week_totals(
    con: duckdb.DuckDBPyConnection,
    week_start: date,
    quantity: str,
    totals_sql: str,
) -> Totals:
    """Per service, `quantity` of the week: `totals_sql` (service, value) over the raw tables
    for the week named by the parameter `$week`; the recorded totals when the week's load and
    the query are those they were computed from."""
    identity = _identity(con, week_start, totals_sql)
    path = totals_dir() / week_start.isoformat() / f"{quantity}.json"
    if identity is not None:
        recorded = _recorded(path, identity)
        if recorded is not None:
            return recorded
    rows = con.execute(totals_sql, {"week": week_start}).fetchall()
    totals = [(service, int(value)) for service, value in rows]
    if identity is not None:
        _record(path, identity, totals)
    return totals


def _identity(con: duckdb.DuckDBPyConnection, week_start: date, totals_sql: str) -> str | None:
    """What the totals are computed from: the query, the raw lake and the load of the week
    (its run and time).

    A week's raw files change only by a load of the week, which records a new run and time,
    or by the address cut after attribution (`warehouse.address_retention`), which rewrites
    the same files with addresses cut to networks and keeps every total here: so the record
    of a week stays valid through its cut, which follows its checks in every run.

    None when there is nothing to recognise them by: a database without a lake (in memory),
    or a week with no recorded load."""
    try:
        root = raw_lake.lake_dir(con)
    except ValueError:  # an in-memory database, whose raw tables are its own
        return None
    load = week_status.status_of(con, [week_start])[week_start]
    if load.load_run_id is None:
        return None
    source = f"{totals_sql}\n{root.resolve()}\n{load.load_run_id}\n{load.loaded_at}"
    return hashlib.sha256(source.encode()).hexdigest()


def _recorded(path: Path, identity: str) -> Totals | None:
    try:
        recorded = json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, or unreadable: computed again and rewritten
        return None
    if recorded.get("identity") != identity:
        return None
    return [(service, int(value)) for service, value in recorded["totals"]]


def _record(path: Path, identity: str, totals: Totals) -> None:
    """Write the totals atomically: checks of other weeks may read them meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Totals as text: a byte sum can pass 2^53, where a JSON reader may round it.
    content = {"identity": identity, "totals": [[service, str(value)] for service, value in totals]}
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".partial", delete=False) as f:
        json.dump(content, f)
    os.replace(f.name, path)
