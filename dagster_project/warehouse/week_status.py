"""Whether each week's tables, raw through marts, are one complete version: `ops.week_status`.

A week's raw tables are replaced in one transaction, and that transaction also marks the
week `loaded`. The weekly dbt build marks it `building` before it starts and `complete`
once every weekly model and test of the week has been built from that load. A run killed
or failed anywhere in between leaves the week `loaded` or `building`: its marts may mix the
new load with an older one, so no figure, table or page is drawn from it (the week reads as
an unpassed check, see defs/check_history.py) until a run completes it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from dagster_project.warehouse.connection import has_table

TABLE = "ops.week_status"
LOADED, BUILDING, COMPLETE = "loaded", "building", "complete"


class AddressesCutError(RuntimeError):
    """The week's raw addresses were cut after attribution: its models cannot be rebuilt
    from them; the week must be loaded again."""


@dataclass(frozen=True)
class WeekStatus:
    week_start: date
    state: str
    load_run_id: str | None = None
    build_run_id: str | None = None
    built_at: datetime | None = None
    addresses_cut_at: datetime | None = None
    loaded_at: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.state == COMPLETE

    def describe(self) -> str:
        if self.complete:
            return f"week {self.week_start} complete (built by run {self.build_run_id})"
        return (
            f"week {self.week_start} incomplete ({self.state}): its raw load by run "
            f"{self.load_run_id} has no finished model build; materialize the week again"
        )


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        f"""
        create table if not exists {TABLE} (
            week_start date primary key,
            state varchar not null,
            loaded_at timestamptz,
            load_run_id varchar,
            built_at timestamptz,
            build_run_id varchar,
            addresses_cut_at timestamptz
        )
        """
    )


def mark_loaded(con: duckdb.DuckDBPyConnection, week_start: date, run_id: str) -> None:
    """The week's raw tables were just replaced (call inside that transaction)."""
    ensure_table(con)
    con.execute(
        f"""
        insert or replace into {TABLE}
        values (?, '{LOADED}', now(), ?, null, null, null)
        """,
        [week_start, run_id],
    )


def begin_build(con: duckdb.DuckDBPyConnection, week_start: date, run_id: str) -> WeekStatus:
    """Mark the week `building` before its models change; returns the status before."""
    ensure_table(con)
    before = status_of(con, [week_start])[week_start]
    if before.addresses_cut_at is not None:
        raise AddressesCutError(
            f"Week {week_start}: its raw addresses were cut to networks at "
            f"{before.addresses_cut_at:%Y-%m-%d %H:%M} after attribution, so its models "
            "cannot be rebuilt from them. Materialize the whole week (raw_week included) to "
            "load it again."
        )
    con.execute(
        f"""
        insert into {TABLE} (week_start, state, build_run_id) values (?, '{BUILDING}', ?)
        on conflict (week_start) do update set state = excluded.state,
            build_run_id = excluded.build_run_id
        """,
        [week_start, run_id],
    )
    return before


def finish_build(
    con: duckdb.DuckDBPyConnection, week_start: date, run_id: str, before: WeekStatus, whole: bool
) -> WeekStatus:
    """The build succeeded. The week is complete when every weekly model was built, or when
    it was complete before and a subset was rebuilt from the same load."""
    if whole or before.complete:
        con.execute(
            f"""
            update {TABLE} set state = '{COMPLETE}', built_at = now(), build_run_id = ?
            where week_start = ?
            """,
            [run_id, week_start],
        )
    return status_of(con, [week_start])[week_start]


def status_of(con: duckdb.DuckDBPyConnection, weeks: Iterable[date]) -> dict[date, WeekStatus]:
    """Each week's status; a week never loaded reads as `loaded` by nobody (incomplete)."""
    wanted = sorted(set(weeks))
    found: dict[date, WeekStatus] = {week: WeekStatus(week, LOADED) for week in wanted}
    if not wanted or not has_table(con, "ops", "week_status"):
        return found
    rows = con.execute(
        f"""
        select week_start, state, load_run_id, build_run_id, built_at, addresses_cut_at,
            loaded_at
        from {TABLE}
        where week_start in (select unnest(?::date[]))
        """,
        [wanted],
    ).fetchall()
    for row in rows:
        found[row[0]] = WeekStatus(*row)
    return found
