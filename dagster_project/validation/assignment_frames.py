"""The frame the raw_assignments suite validates: the assignments of a sample of the week's
networks, each flagged by DuckDB when it overlaps an earlier interval of the same network."""

from datetime import datetime

import duckdb
import pandas as pd

from dagster_project.sources.address_numbers import is_ipv4_sql
from dagster_project.validation.gx_suites import ValidationBatch
from dagster_project.validation.raw_frames import (
    DEFAULT_MAX_ROWS,
    hash_bounded,
    hash_sample,
    week_parameters,
)
from dagster_project.warehouse import week_status
from dagster_project.weeks.analysis_week import AnalysisWeek

NETWORK_COLUMNS = "network_hi, network_lo"
# An assignment's prefix length its family does not have (/1-32, /1-128).
PREFIX_FITS_FAMILY = (
    f"prefix_len between 1 and case when {is_ipv4_sql('network_hi', 'network_lo')} "
    "then 32 else 128 end"
)


def _same_row(left: str, right: str) -> str:
    """SQL: two assignments alike in network, times and subscriber."""
    equal = " and ".join(
        f"{left}.{column} = {right}.{column}"
        for column in (*NETWORK_COLUMNS.split(", "), "prefix_len", "valid_from", "subscriber_id")
    )
    return f"{equal} and {left}.valid_to is not distinct from {right}.valid_to"


ASSIGNMENT_HASH = f"hash({NETWORK_COLUMNS}, prefix_len, valid_from, subscriber_id)"
# A sample by network takes each sampled network with all its rows.
NETWORK_HASH = f"hash({NETWORK_COLUMNS}, prefix_len)"


def _flagged_in_order(networks: str, subscriber: str) -> str:
    """SQL: the week's assignments of `networks`, each flagged when it starts before an
    earlier one of its network (in the order of their times, then of `subscriber`) ends."""
    return f"""
        select
            {NETWORK_COLUMNS}, prefix_len, valid_from, valid_to{subscriber},
            valid_from < max(coalesce(valid_to, 'infinity'::timestamp)) over (
                partition by {NETWORK_COLUMNS}, prefix_len
                order by valid_from, valid_to nulls last{subscriber}
                rows between unbounded preceding and 1 preceding
            ) as overlaps_earlier_interval
        from week_assignments
        semi join {networks} using ({NETWORK_COLUMNS}, prefix_len)
    """


def assignment_rows(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Assignments of the week for the raw_assignments suite: flagged for overlaps while the
    addresses are whole, a plain sample once they are cut to networks."""
    cut_at = week_status.status_of(con, [week.start])[week.start].addresses_cut_at
    if cut_at is None:
        return flagged_assignment_rows(con, week, max_rows)
    return cut_assignment_rows(con, week, cut_at, max_rows)


def cut_assignment_rows(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek, cut_at: datetime, max_rows: int
) -> ValidationBatch:
    """Assignments of a week whose addresses were cut to networks, a sample by row hash.

    Neighbours now share a network, so an overlap says nothing of the addresses that were
    held: `overlaps_earlier_interval` is NULL (not judged), and the scope says why. The week
    was judged when it was loaded, before the cut."""
    columns = f"""
        * exclude (week_start, {NETWORK_COLUMNS}),
        null::boolean as overlaps_earlier_interval,
        {PREFIX_FITS_FAMILY} as prefix_fits_family
    """
    frame, scope = hash_sample(
        con, "raw.assignments", ASSIGNMENT_HASH, columns, week, max_rows, "sample by row hash"
    )
    return ValidationBatch(
        frame,
        f"{scope}; overlaps not judged: the week's addresses cut to networks at "
        f"{cut_at:%Y-%m-%d %H:%M} after attribution",
        week_parameters(week),
    )


def flagged_assignment_rows(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Assignments of a sample of the week's networks, each row flagged when it overlaps an
    earlier one of its network.

    The networks are sampled by a hash of the network, so a sampled network comes with every
    row it has in the week and its overlaps are judged exactly; flagged rows come first, so
    a capped frame still holds every overlap it found. The whole week's overlaps, nested
    networks too, are dbt's test `assignments_do_not_overlap`, which stops the build: judging
    every network here as well took a second pass of the same size (9 s at 100M flows).
    A network with an overlap is found from numbers and times alone (a tie in times flags
    one of the tied rows whatever the order), and only its rows are sorted with the
    subscriber. Rows alike in network, times and subscriber are flagged together. The frame
    says whether each prefix length fits its family, never the address itself.
    """

    def rows_under(bound: int) -> pd.DataFrame:
        return con.execute(
            f"""
            with week_assignments as (
                select * exclude (week_start)
                from raw.assignments
                where week_start = ? and {NETWORK_HASH} <= ?
            ),

            shared_networks as (
                select {NETWORK_COLUMNS}, prefix_len
                from week_assignments
                group by all
                having count(*) > 1
            ),

            networks_in_overlaps as (
                select distinct {NETWORK_COLUMNS}, prefix_len
                from ({_flagged_in_order("shared_networks", "")})
                where overlaps_earlier_interval
            ),

            overlapping as (
                select distinct {NETWORK_COLUMNS}, prefix_len, valid_from, valid_to, subscriber_id
                from ({_flagged_in_order("networks_in_overlaps", ", subscriber_id")})
                where overlaps_earlier_interval
            ),

            flagged as (
                select
                    week_assignments.*,
                    overlapping.subscriber_id is not null as overlaps_earlier_interval
                from week_assignments
                left join overlapping on {_same_row("overlapping", "week_assignments")}
            )

            select
                * exclude ({NETWORK_COLUMNS}),
                {PREFIX_FITS_FAMILY} as prefix_fits_family
            from flagged
            order by overlaps_earlier_interval desc, {NETWORK_HASH}, {ASSIGNMENT_HASH}
            limit ?
            """,
            [week.start, bound, max_rows],
        ).df()

    order = (
        "the rows of a deterministic sample of networks by network hash, each network's "
        "overlaps judged on all its rows, overlapping rows first; every network of the week is "
        "judged by dbt's assignments_do_not_overlap"
    )
    frame, scope = hash_bounded(
        con, "raw.assignments", NETWORK_HASH, week, max_rows, rows_under, order
    )
    return ValidationBatch(frame, scope, week_parameters(week))
