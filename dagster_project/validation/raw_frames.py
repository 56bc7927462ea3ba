"""The DataFrames the GX suites of the raw inputs validate, computed with DuckDB from the warehouse.

A week of flows is tens of millions of rows, so no table is read whole into pandas: a suite
sees either a deterministic sample capped at `max_rows` (the same rows every run, ordered by
a hash of the row's identity) or a small profile DuckDB aggregates over the whole week.
Row-set properties (overlapping intervals, shares summing to 100, week-on-week change) are
computed here as columns, so that the suites can state them as ordinary expectations.
"""

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Protocol

import duckdb
import pandas as pd

from dagster_project.sources.address_numbers import is_ipv4_sql
from dagster_project.validation.gx_suites import ValidationBatch
from dagster_project.weeks.analysis_week import AnalysisWeek

DEFAULT_MAX_ROWS = 100_000


class FrameFetcher(Protocol):
    def __call__(
        self, con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = ...
    ) -> ValidationBatch: ...


def week_parameters(week: AnalysisWeek) -> dict[str, object]:
    first_day = datetime.combine(week.start, time())
    return {
        "week_start_utc": week.utc_start,
        "week_end_utc": week.utc_end,
        "first_day": first_day,
        "last_day": first_day + timedelta(days=6),
    }


# The suites see facts about addresses (computed here from their numbers), never an address,
# so none reaches check results, metadata or Data Docs.
ADDRESS_COLUMNS = "src_addr_hi, src_addr_lo, dst_addr_hi, dst_addr_lo"


# A flow with an end of each family: a reader that mixed up IPv4 and IPv6 fields, or shifted
# a column.
ENDS_SHARE_FAMILY = (
    f"{is_ipv4_sql('src_addr_hi', 'src_addr_lo')} = {is_ipv4_sql('dst_addr_hi', 'dst_addr_lo')}"
)


def count_rows(con: duckdb.DuckDBPyConnection, sql: str, parameters: list[object]) -> int:
    return int(con.execute(sql, parameters).fetchone()[0])


def sample_scope(rows_of: str, sampled: int, total: int, order: str) -> str:
    if sampled == total:
        return f"all {total} rows of {rows_of}"
    return f"{sampled} of {total} rows of {rows_of} ({order})"


# How many more rows than wanted the approximate hash bound lets through: enough that fewer
# than wanted pass only for a handful of rows or a hash far from uniform, where the exact
# bound is found instead.
HASH_BOUND_MARGIN = 1.1
LARGEST_HASH = 2**64 - 1  # DuckDB's hash() is a UBIGINT


def exact_hash_bound(
    con: duckdb.DuckDBPyConnection, table: str, row_hash: str, week: AnalysisWeek, max_rows: int
) -> int:
    """The largest of the week's `max_rows` smallest `row_hash` (a pass over the hashes)."""
    ((bound,),) = con.execute(
        f"""
        select max(row_hash)
        from (
            select {row_hash} as row_hash from {table} where week_start = ?
            order by 1 limit ?
        )
        """,
        [week.start, max_rows],
    ).fetchall()
    return int(bound)


def hash_bounded(
    con: duckdb.DuckDBPyConnection,
    table: str,
    row_hash: str,
    week: AnalysisWeek,
    max_rows: int,
    rows_under: Callable[[int], pd.DataFrame],
    order: str,
) -> tuple[pd.DataFrame, str]:
    """`rows_under(bound)`, the week's rows with `row_hash` at most `bound` (ordered by it,
    at most `max_rows`), for a bound that lets the `max_rows` smallest through; and what
    they stand for in the week (`order`: how they were chosen).

    Hashes are uniform, so a bound at `max_rows / total` of their range (and a margin) lets
    through a few more rows than wanted: the sample takes one pass over the week. Only when
    fewer pass is the exact bound found first, in a pass of its own."""
    total = count_rows(con, f"select count(*) from {table} where week_start = ?", [week.start])
    share = HASH_BOUND_MARGIN * max_rows / total if total else 1.0
    frame = rows_under(min(LARGEST_HASH, int(LARGEST_HASH * share)))
    if len(frame) < min(total, max_rows):
        frame = rows_under(exact_hash_bound(con, table, row_hash, week, max_rows))
    return frame, sample_scope(f"{table} for the week", len(frame), total, order)


def hash_sample(
    con: duckdb.DuckDBPyConnection,
    table: str,
    row_hash: str,
    columns: str,
    week: AnalysisWeek,
    max_rows: int,
    order: str,
) -> tuple[pd.DataFrame, str]:
    """`columns` of the week's rows of `table` with the `max_rows` smallest `row_hash`, in
    that order (rows of equal hash at the bound: any of them), and what they stand for."""

    def rows_under(bound: int) -> pd.DataFrame:
        return con.execute(
            f"""
            select {columns}
            from {table}
            where week_start = ? and {row_hash} <= ?
            order by {row_hash}
            limit ?
            """,
            [week.start, bound, max_rows],
        ).df()

    return hash_bounded(con, table, row_hash, week, max_rows, rows_under, order)


def flow_sample(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Flow records of the week, a deterministic hash-ordered sample of at most max_rows."""
    columns = f"""
        * exclude (week_start, {ADDRESS_COLUMNS}),
        {ENDS_SHARE_FAMILY} as ends_share_family,
        packets * 20 as min_ip_bytes,
        packets * 65535 as max_ip_bytes
    """
    row_hash = f"hash(source_file, source_row, flow_start, {ADDRESS_COLUMNS})"
    order = "deterministic sample by row hash"
    frame, scope = hash_sample(con, "raw.flows", row_hash, columns, week, max_rows, order)
    return ValidationBatch(frame, scope, week_parameters(week))


def flow_week_profile(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """One row per IP protocol with port ranges and counts of faulty records, whole week."""
    frame = con.execute(
        """
        select
            protocol,
            count(*) as flow_records,
            min(src_port) as min_src_port,
            max(src_port) as max_src_port,
            min(dst_port) as min_dst_port,
            max(dst_port) as max_dst_port,
            count(*) filter (where bytes <= 0 or packets <= 0) as records_without_volume,
            count(*) filter (where bytes < 20 * packets) as records_below_ip_header,
            count(*) filter (where bytes > 65535 * packets) as records_above_max_packet,
            count(*) filter (where flow_start < ? or flow_start >= ?) as records_outside_week,
            count(*) filter (where flow_end < flow_start) as records_ending_before_start,
            min(sampling_interval) as min_sampling_interval
        from raw.flows
        where week_start = ?
        group by protocol
        order by protocol
        """,
        [week.utc_start, week.utc_end, week.start],
    ).df()
    records = int(frame["flow_records"].sum())
    scope = f"profile of all {records} rows of raw.flows for the week, one row per protocol"
    return ValidationBatch(frame, scope, week_parameters(week))


def usage_counter_rows(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Daily usage counters of the week, a deterministic hash-ordered sample."""
    frame, scope = hash_sample(
        con,
        "raw.usage_counters",
        "hash(service, access, subscriber_id, day)",
        "* exclude (week_start)",
        week,
        max_rows,
        "sample by row hash",
    )
    return ValidationBatch(frame, scope, week_parameters(week))


def monthly_total_rows(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """All monthly totals (a few hundred rows), with per-series continuity columns."""
    frame = con.execute(
        """
        select
            *,
            day(month) as day_of_month,
            date_diff(
                'month',
                lag(month) over (partition by service, access, direction order by month),
                month
            ) as months_since_previous,
            count(*) over (partition by month) as series_in_month,
            (select count(distinct (service, access, direction)) from raw.monthly_totals)
                as series_overall,
            bytes::double as bytes_value
        from raw.monthly_totals
        order by month, service, access, direction
        limit ?
        """,
        [max_rows],
    ).df()
    return ValidationBatch(frame, f"all {len(frame)} rows of raw.monthly_totals")


def unattributed_traffic_share(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Per service, the percentage of the week's flow bytes matched to no subscriber."""
    frame = con.execute(
        """
        select
            service,
            sum(bytes)::double as bytes,
            100.0 * coalesce(sum(bytes) filter (where direction = 'unattributed'), 0)
                / nullif(sum(bytes), 0) as unattributed_pct
        from main.int_attributed_flow_totals
        -- each grain holds every flow end once: the line totals are the fewest rows
        where week_start = ? and grain = 'line'
        group by service
        order by service
        """,
        [week.start],
    ).df()
    return ValidationBatch(frame, "attributed vs unattributed flow bytes per service, whole week")


def quarantine_shares(con: duckdb.DuckDBPyConnection, week: AnalysisWeek) -> pd.DataFrame:
    """Per raw input of the week: records loaded and quarantined, the quarantined percentage,
    the most frequent reason and the file most of those records came from."""
    loaded = " union all ".join(
        f"select '{table}' as source, count(*) as loaded_rows "
        f"from raw.{table} where week_start = $week"
        for table in ("flows", "assignments", "usage_counters")
    )
    return con.execute(
        f"""
        with loaded as ({loaded}),
        rejected_by_reason as (
            select
                source,
                reason,
                count(*) as records,
                mode(source_file) as most_frequent_file
            from raw.quarantine
            where week_start = $week
            group by source, reason
        ),
        rejected as (
            select
                source,
                sum(records) as quarantined_rows,
                first(reason order by records desc, reason) as most_frequent_reason,
                first(most_frequent_file order by records desc, reason) as most_frequent_file
            from rejected_by_reason
            group by source
        )
        select
            source,
            coalesce(loaded_rows, 0)::bigint as loaded_rows,
            coalesce(quarantined_rows, 0)::bigint as quarantined_rows,
            coalesce(
                100.0 * quarantined_rows / (coalesce(loaded_rows, 0) + quarantined_rows), 0
            ) as quarantined_pct,
            most_frequent_reason,
            most_frequent_file
        from loaded
        full join rejected using (source)
        order by source
        """,
        {"week": week.start},
    ).df()


def quarantined_share(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Per raw input, the percentage of the week's records the load rejected, with the most
    frequent reason: a collector gone wrong still loads its good rows, and this says so."""
    frame = quarantine_shares(con, week)
    return ValidationBatch(frame, "loaded and quarantined records per raw input, whole week")


def exporter_sampling(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Per exporter of the week's flows: records, the 1:N intervals used and where they came
    from (raw_schema.SAMPLING_ORIGINS), flagged when some arrived unscaled with no interval
    configured for them (counted as 1:1). The scope names every exporter's intervals."""
    # the records are counted per exporter, interval and origin first: the text is written
    # for those few combinations, not for each of the week's records
    frame = con.execute(
        """
        with combinations as (
            select
                exporter,
                sampling_interval,
                coalesce(sampling_origin, 'unknown') as origin,
                count(*) as records
            from raw.flows
            where week_start = ?
            group by all
        )

        select
            exporter,
            sum(records)::bigint as records,
            string_agg(distinct '1:' || sampling_interval, ', ' order by '1:' || sampling_interval)
                as sampling_intervals,
            string_agg(distinct origin, ', ' order by origin) as origins,
            coalesce(bool_or(origin = 'unknown'), false) as unscaled_without_interval
        from combinations
        group by exporter
        order by exporter
        """,
        [week.start],
    ).df()
    per_exporter = "; ".join(
        f"{row.exporter} {row.sampling_intervals} ({row.origins})" for row in frame.itertuples()
    )
    scope = f"sampling of all {int(frame['records'].sum())} flow records per exporter"
    return ValidationBatch(frame, f"{scope}: {per_exporter or 'no flow records'}")
