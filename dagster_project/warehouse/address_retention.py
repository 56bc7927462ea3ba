"""Cutting a week's raw addresses once its flows are attributed.

Addresses are personal data needed for one thing: matching flows to the subscribers that
held them. The attributed flows' totals (`int_attributed_flow_totals`) keep no address, so
once a week is complete its full addresses are kept only `privacy.keep_raw_addresses_days`
more days (default 0). Then flow ends and assignments are cut to their network (IPv4 /24, IPv6 /48:
the numbers' lower bits zeroed, an assignment's prefix length at most 24 or 48; the week's
lake files rewritten) and, in one transaction, the text of rejected records is removed
(the file, row and reason stay), the week's address-to-holder matches are deleted, and the
week's status records when. The week's numbers do not change; to rebuild its models the
week is loaded again (week_status.begin_build refuses otherwise).
"""

from datetime import date, datetime, timedelta

import duckdb

from dagster_project.sources.address_numbers import is_ipv4_sql
from dagster_project.sources.raw_lake import rewrite_week
from dagster_project.sources.raw_schema import ASSIGNMENTS, FLOWS
from dagster_project.sources.raw_tables import transaction
from dagster_project.warehouse.connection import has_table
from dagster_project.warehouse.week_status import COMPLETE, TABLE

# The cut: IPv4 to its /24, IPv6 to its /48 (the low bits of the 128-bit number zeroed).
IPV4_KEPT_BITS = 24
IPV6_KEPT_BITS = 48
# The address matches of each week, written by dbt (models/intermediate).
ADDRESS_HOLDERS = "main.int_address_holders"


def network_sql(hi: str, lo: str) -> dict[str, str]:
    """SQL for the halves `hi` and `lo` of an address replaced by its network's."""
    ipv4 = is_ipv4_sql(hi, lo)
    ipv4_mask = -(1 << (32 - IPV4_KEPT_BITS))
    ipv6_mask = -(1 << (64 - IPV6_KEPT_BITS))
    return {
        hi: f"case when {ipv4} then {hi} else {hi} & {ipv6_mask} end",
        lo: f"case when {ipv4} then {lo} & {ipv4_mask} else 0 end",
    }


def cut_week(con: duckdb.DuckDBPyConnection, week_start: date) -> None:
    """Cut one week's raw addresses to networks and drop what else names an address.

    The lake's files are rewritten first: were the transaction to fail after, the week is
    cut again next time (cutting a network changes nothing)."""
    kept_bits = (
        f"case when {is_ipv4_sql('network_hi', 'network_lo')} then {IPV4_KEPT_BITS} "
        f"else {IPV6_KEPT_BITS} end"
    )
    flow_ends = {
        **network_sql("src_addr_hi", "src_addr_lo"),
        **network_sql("dst_addr_hi", "dst_addr_lo"),
    }
    rewrite_week(con, FLOWS, week_start, flow_ends)
    # every expression reads the stored row: prefix_len is cut from the halves before the cut
    networks = {
        "prefix_len": f"least(prefix_len, {kept_bits})",
        **network_sql("network_hi", "network_lo"),
    }
    rewrite_week(con, ASSIGNMENTS, week_start, networks)
    with transaction(con):
        con.execute(
            "update raw.quarantine set record = null where week_start = ? and record is not null",
            [week_start],
        )
        if has_table(con, "main", "int_address_holders"):
            con.execute(f"delete from {ADDRESS_HOLDERS} where week_start = ?", [week_start])
        con.execute(
            f"update {TABLE} set addresses_cut_at = now() where week_start = ?", [week_start]
        )


def weeks_due(
    con: duckdb.DuckDBPyConnection, keep_days: int, now: datetime | None = None
) -> list[date]:
    """Complete weeks whose addresses are still whole and older than the retention."""
    cutoff = (now or datetime.now().astimezone()) - timedelta(days=keep_days)
    rows = con.execute(
        f"""
        select week_start from {TABLE}
        where state = '{COMPLETE}' and addresses_cut_at is null and built_at <= ?
        order by week_start
        """,
        [cutoff],
    ).fetchall()
    return [row[0] for row in rows]


def cut_due_weeks(
    con: duckdb.DuckDBPyConnection, keep_days: int, now: datetime | None = None
) -> list[date]:
    """Cut every week that is due; the weeks cut."""
    due = weeks_due(con, keep_days, now)
    for week_start in due:
        cut_week(con, week_start)
    return due
