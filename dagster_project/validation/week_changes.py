"""Frames that compare a weekly quantity per service with the previous week's, for the GX
suites that catch a week far off its predecessor (a lost exporter, a doubled file)."""

from datetime import timedelta

import duckdb

from dagster_project.validation.gx_suites import ValidationBatch
from dagster_project.validation.raw_frames import DEFAULT_MAX_ROWS
from dagster_project.validation.week_totals import Totals, week_totals
from dagster_project.weeks.analysis_week import AnalysisWeek


def _week_change(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek, quantity: str, totals_sql: str, what: str
) -> ValidationBatch:
    """Per service, a weekly quantity of this and the previous week and its change in %.

    `totals_sql` selects (service, value) for the week named by the parameter `$week`; each
    week's totals are computed once from its raw tables (`week_totals`).
    """
    previous = week.start - timedelta(days=7)
    this_week, previous_week = (
        week_totals(con, start, quantity, totals_sql) for start in (week.start, previous)
    )
    frame = con.execute(
        """
        with this_week as (
            select
                unnest($this_services::varchar[]) as service,
                unnest($this_values::varchar[])::hugeint as value
        ),
        previous_week as (
            select
                unnest($previous_services::varchar[]) as service,
                unnest($previous_values::varchar[])::hugeint as value
        )
        select
            coalesce(this_week.service, previous_week.service) as service,
            this_week.value::double as this_week,
            previous_week.value::double as previous_week,
            100.0 * (this_week.value - previous_week.value) / nullif(previous_week.value, 0)
                as change_pct
        from this_week
        full join previous_week using (service)
        order by service
        """,
        {**_as_lists("this", this_week), **_as_lists("previous", previous_week)},
    ).df()
    compared = "previous week absent" if frame["previous_week"].isna().all() else "compared"
    scope = f"{what} per service, week of {week.start} vs {previous} ({compared})"
    return ValidationBatch(frame, scope)


def _as_lists(prefix: str, totals: Totals) -> dict[str, list[str]]:
    """The totals as two parameter lists (values as text: a sum may exceed 64 bits)."""
    return {
        f"{prefix}_services": [service for service, _ in totals],
        f"{prefix}_values": [str(value) for _, value in totals],
    }


def flow_traffic_change(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Scaled flow bytes per service against the previous week."""
    totals = """
        select
            service,
            sum(case when counts_scaled then bytes else bytes * sampling_interval end) as value
        from raw.flows
        where week_start = $week
        group by service
    """
    return _week_change(con, week, "scaled_flow_bytes", totals, "scaled flow bytes")


def counter_traffic_change(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Counter bytes (mobile billing, IPoE) per service against the previous week."""
    totals = """
        select service, sum(bytes_in + bytes_out) as value
        from raw.usage_counters
        where week_start = $week
        group by service
    """
    return _week_change(con, week, "counter_bytes", totals, "counter bytes")


# A service with more users' rows than this in a week (assignments and counters) has its users
# counted in a sample: those whose hash is a multiple of the smallest power of two that brings
# its rows under the limit, times that power. Counting every user of a 100M-flow week (130
# million rows, 16 million users) takes one hash table of all of them: 5.3-14.4 s, up to half
# of the input checks; the sample (1 in 4 and 1 in 8 users there) takes 2.4-2.6 s. The
# estimate's relative standard error is sqrt((buckets - 1) / users), under
# sqrt(2 * rows per user / EXACT_USER_ROWS): 0.1% at 8 rows a user, nothing to a drift check
# whose threshold is 20%. Smaller services, and so weeks of up to this many rows, count exactly.
EXACT_USER_ROWS = 16_000_000


def subscriber_count_change(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
) -> ValidationBatch:
    """Users per service (a subscription per access counts once) against the previous week."""
    # A user is counted by a 64-bit hash of its access and pseudonym: a fixed-size key
    # instead of two strings makes the distinct a quarter cheaper. Two of the week's ~16
    # million users share a hash with a probability of about 1e-5, which would count them as
    # one: nothing to a drift check.
    users_of_week = """
        select service, hash(access, subscriber_id) as user_hash
        from raw.assignments where week_start = $week
        union all
        select service, hash(access, subscriber_id)
        from raw.usage_counters where week_start = $week
    """
    totals = f"""
        with service_rows as (
            select service, count(*) as row_count
            from (
                select service from raw.assignments where week_start = $week
                union all
                select service from raw.usage_counters where week_start = $week
            )
            group by service
        ),

        sampling as (
            select
                service,
                cast(
                    greatest(1, 2 ** ceil(log2(row_count / {EXACT_USER_ROWS}))) as ubigint
                ) as buckets
            from service_rows
        )

        select service, count(distinct user_hash) * any_value(sampling.buckets) as value
        from ({users_of_week}) as week_users
        join sampling using (service)
        where user_hash % sampling.buckets = 0
        group by service
    """
    what = (
        "users (subscriptions per access; a service with more than "
        f"{EXACT_USER_ROWS:,} rows a week estimated from the users of a hash sample)"
    )
    return _week_change(con, week, "users", totals, what)
