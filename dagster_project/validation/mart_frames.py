"""The DataFrames the GX suites of the marts validate: a mart's rows for the week, capped,
with row-set properties (shares adding up, a curve's peak) computed as columns."""

import duckdb

from dagster_project.validation.gx_suites import ValidationBatch
from dagster_project.validation.raw_frames import (
    DEFAULT_MAX_ROWS,
    FrameFetcher,
    count_rows,
    sample_scope,
)
from dagster_project.weeks.analysis_week import AnalysisWeek


def mart_rows(table: str, derived_columns: str = "", order_by: str = "all") -> FrameFetcher:
    """A fetcher of a mart's rows (the partition's week for weekly marts), capped at max_rows.

    `derived_columns` are extra select expressions, typically window aggregates that turn a
    row-set property (shares adding up, a curve's peak) into a column the suite can check.
    """

    def fetch(
        con: duckdb.DuckDBPyConnection, week: AnalysisWeek | None, max_rows: int = DEFAULT_MAX_ROWS
    ) -> ValidationBatch:
        week_filter = "where week_start = $week" if week else ""
        parameters: dict[str, object] = {"week": week.start} if week else {}
        extra = f", {derived_columns}" if derived_columns else ""
        frame = con.execute(
            f"select *{extra} from main.{table} {week_filter} order by {order_by} limit {max_rows}",
            parameters,
        ).df()
        total = count_rows(con, f"select count(*) from main.{table} {week_filter}", parameters)
        which = "for the week" if week else "(all weeks)"
        scope = sample_scope(f"{table} {which}", len(frame), total, f"first by {order_by}")
        return ValidationBatch(frame, scope)

    return fetch


# Row-set properties of the marts, as columns (windows per service, or per year and service).
MODE_GRID = """
    abs(20 * log10(mode_mb) - round(20 * log10(mode_mb))) as mode_grid_offset,
    abs(20 * log10(mode_mb) - mode_bin) as mode_bin_offset
"""
GROWTH_CONSISTENCY = """
    abs(power(annual_factor, years) / growth_factor - 1) as annual_factor_error
"""

user_daily_usage_rows = mart_rows(
    "user_daily_usage", order_by="hash(service, access, subscriber_id)"
)
usage_summary_rows = mart_rows("usage_summary", MODE_GRID)
usage_summary_by_year_rows = mart_rows("usage_summary_by_year", MODE_GRID)
usage_distribution_rows = mart_rows(
    "usage_distribution",
    """
    sum(density * 0.05) over (partition by service, direction) as curve_integral,
    count(*) over (partition by service, direction) as bins_in_curve
    """,
)
top_user_share_rows = mart_rows(
    "top_user_shares",
    """
    max(case when top_percent = 10 then share_pct end)
        over (partition by service, direction) as top10_share_pct
    """,
)
user_sample_rows = mart_rows("user_sample")
port_usage_rows = mart_rows(
    "port_usage",
    """
    sum(case when level = 0 then share_pct end) over (partition by service)
        as protocol_share_total,
    max(case when level = 0 then share_pct end) over (partition by service, protocol_name)
        as protocol_share_pct,
    bytes::double as bytes_value,
    total_bytes::double as total_bytes_value
    """,
)
port_usage_by_year_rows = mart_rows(
    "port_usage_by_year",
    """
    sum(case when level = 0 then share_pct end) over (partition by report_year, service)
        as protocol_share_total
    """,
)
hourly_port_traffic_rows = mart_rows(
    "hourly_port_traffic",
    """
    max(case when bucket = 'total' then traffic end) over (partition by service)
        as total_peak,
    bytes::double as bytes_value,
    max(case when bucket = 'total' then bytes end) over (partition by service, hour_of_week)
        ::double as total_bytes_in_hour,
    count(*) over (partition by service, bucket) as hours_in_series
    """,
)
weekday_hourly_traffic_rows = mart_rows(
    "weekday_hourly_traffic",
    "count(*) over (partition by service, direction) as hours_in_curve",
)
traffic_attribution_rows = mart_rows(
    "traffic_attribution",
    "sum(share_pct) over (partition by service) as service_share_total",
)
ipv6_share_rows = mart_rows(
    "ipv6_share",
    """
    (ipv4_bytes + ipv6_bytes - total_bytes)::double as family_bytes_gap,
    least(ipv4_bytes, ipv6_bytes)::double as smaller_family_bytes
    """,
)
monthly_traffic_rows = mart_rows(
    "monthly_traffic",
    """
    sum(case when access <> 'all' then access_share_pct end)
        over (partition by month, service, direction) as access_share_total,
    count(*) filter (where access = 'all' and direction = 'OUT' and normalized_traffic = 1)
        over (partition by service) as baseline_rows,
    (max(normalized_traffic / bits_per_second) over (partition by service)
        - min(normalized_traffic / bits_per_second) over (partition by service))
        / max(normalized_traffic / bits_per_second) over (partition by service)
        as normalization_spread
    """,
)
traffic_growth_rows = mart_rows(
    "traffic_growth",
    GROWTH_CONSISTENCY + ", abs(to_bits_per_second / from_bits_per_second / growth_factor - 1)"
    " as growth_factor_error",
)
mode_growth_rows = mart_rows(
    "mode_growth",
    GROWTH_CONSISTENCY
    + """,
    abs(to_mode_mb / from_mode_mb / growth_factor - 1) as growth_factor_error,
    abs(20 * log10(growth_factor) - round(20 * log10(growth_factor))) as factor_grid_offset
    """,
)
