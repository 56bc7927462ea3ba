"""Cutting a week's raw addresses once its flows are attributed.

Addresses are personal data needed for one thing: matching flows to the subscribers that
held them. The attributed flows (`int_flows_attributed`) keep no address, so once a week is
complete its full addresses are kept only `privacy.keep_raw_addresses_days` more days
(default 0). Then, in one transaction: flow ends and assignments are cut to their network
(IPv4 /24, IPv6 /48, written as a prefix such as `192.0.2.0/24`), the text of rejected
records is removed (the file, row and reason stay), the week's address-to-holder matches
are deleted, and the week's status records when. The week's numbers do not change; to
rebuild its models the week is loaded again (week_status.begin_build refuses otherwise).
"""

from datetime import date, datetime, timedelta

import duckdb

from dagster_project.sources.raw_tables import rewrite_values, transaction
from dagster_project.warehouse.week_status import COMPLETE, TABLE

IPV4_TEXT = r"[0-9]{1,3}(\.[0-9]{1,3}){3}"
IPV6_TEXT = r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?"
# What is left of a text that is no address: it could hold anything, a user name included.
UNREADABLE = "unreadable"
# The address matches of each week, written by dbt (models/intermediate).
ADDRESS_HOLDERS = "main.int_address_holders"


def network_sql(address: str) -> str:
    """SQL for the /24 (IPv4) or /48 (IPv6) network of an address or prefix text column.

    A text that is no address becomes 'unreadable'. An IPv6 text's first three groups are
    those before `::` padded with zeros (`::` stands for at least one zero group), so no
    full parse is needed.
    """
    bare = f"trim(split_part({address}, '/', 1))"
    head_groups = f"list_filter(string_split(split_part({bare}, '::', 1), ':'), lambda g: g <> '')"
    return f"""(case
        when regexp_full_match({bare}, '{IPV4_TEXT}') then
            regexp_replace({bare}, '\\.[0-9]+$', '.0') || '/24'
        when regexp_full_match({bare}, '{IPV6_TEXT}') then
            array_to_string(list_slice({head_groups} || ['0', '0', '0'], 1, 3), ':') || '::/48'
        else '{UNREADABLE}'
    end)"""


def cut_week(con: duckdb.DuckDBPyConnection, week_start: date) -> None:
    """Cut one week's raw addresses to networks and drop what else names an address."""
    with transaction(con):
        rewrite_values(
            con,
            "raw.flows",
            ["src_addr", "dst_addr"],
            network_sql("original"),
            where="week_start = $week",
            where_parameters={"week": week_start},
        )
        con.execute(
            f"update raw.assignments set address = {network_sql('address')} where week_start = ?",
            [week_start],
        )
        con.execute(
            "update raw.quarantine set record = null where week_start = ? and record is not null",
            [week_start],
        )
        if _has_table(con, "main", "int_address_holders"):
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


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )
