"""The hand-written reference of the weekly marts, and the check that both give the same numbers.

`run_reference` computes from the raw tables of one week, in DuckDB, what the weekly dbt
models compute, the way one would write it by hand for speed: the week's distinct flow
addresses matched to their holders once, then one pass over the flows that attributes each
flow end and aggregates it three ways at once (GROUPING SETS), nothing stored in between:

- per user and direction (the per-user statistics of usage_summary: users, mean, median);
- per protocol and port in the port statistics' scope (week_port_shares, port_usage);
- per local hour and the other keys of int_traffic_hourly.

It reads the seeds the models read (protocol names, port table rows) and follows the models'
rules: counts scaled by the sampling interval unless already scaled, a flow end held by the
assignment valid at the flow's start, a flow between two subscribers counted once per end,
the lower port naming a TCP/UDP flow, PPPoE users from flows and IPoE/mobile users from
their counters, personal users only in the per-user statistics.

`compare` then reads the marts and lists every number that differs by more than a relative
1e-9 (`disagreements`).
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb

from dagster_project.weeks.analysis_week import AnalysisWeek

TOLERANCE = 1e-9
HOURLY_KEYS = ("service", "direction", "access", "customer_class", "hour_start",
               "address_family", "protocol_name", "port_range", "port")  # fmt: skip
PORT_KEYS = ("service", "protocol_name", "protocol", "port")
SUMMARY_KEYS = ("service", "direction")

# Addresses are 128-bit numbers in two signed halves (IPv4 in ::ffff:0:0/96, so an IPv4 /p
# is a /(96 + p)); a prefix's key is its top bits, shifted down in the half they fall in.
HOLDERS_SQL = """
create or replace temp table ref_holders as
with addresses as (
    select src_addr_hi as hi, src_addr_lo as lo from raw.flows where week_start = $week
    union
    select dst_addr_hi, dst_addr_lo from raw.flows where week_start = $week
),
assignments as (
    select subscriber_id, access, customer_class, valid_from,
        coalesce(valid_to, '9999-12-31'::timestamp) as valid_to, v4,
        prefix_len + case when v4 then 96 else 0 end as bits,
        case when bits <= 64 then network_hi >> (64 - bits) else network_hi end as key_hi,
        case when bits <= 64 then 0 else network_lo >> (128 - bits) end as key_lo
    from (
        select *, network_hi = 0 and network_lo >> 32 = 65535 as v4
        from raw.assignments where week_start = $week
    )
),
prefixes as (select distinct v4, bits from assignments),
address_keys as (
    select hi, lo, bits, v4,
        case when bits <= 64 then hi >> (64 - bits) else hi end as key_hi,
        case when bits <= 64 then 0 else lo >> (128 - bits) end as key_lo
    from (select *, hi = 0 and lo >> 32 = 65535 as v4 from addresses)
    join prefixes using (v4)
)
select address_keys.hi, address_keys.lo, assignments.subscriber_id, assignments.access,
    assignments.customer_class, assignments.valid_from, assignments.valid_to
from address_keys
join assignments using (v4, bits, key_hi, key_lo)
"""

# The local hour of a flow's start, converted once per quarter hour of the week rather than
# once per flow: every zone's offset from UTC, and so every change of it, is a multiple of 15
# minutes, so a UTC quarter hour lies in one local hour.
AGGREGATES_SQL = """
create or replace temp table ref_aggregates as
with named_ports as (select distinct port from main.port_table_rows where port is not null),
quarters as (
    select quarter, date_trunc('hour', timezone($timezone, timezone('UTC', quarter))) as hour_start
    from (
        select distinct time_bucket(interval 15 minute, flow_start) as quarter
        from raw.flows where week_start = $week
    )
),
flows as (
    select
        flows.service,
        quarters.hour_start,
        case when flows.src_addr_hi = 0 and flows.src_addr_lo >> 32 = 65535 then 'ipv4'
            else 'ipv6' end as address_family,
        coalesce(names.protocol_name, 'other') as protocol_name,
        case when names.protocol_name is null then flows.protocol end as other_protocol,
        case when flows.protocol in (6, 17) then least(flows.src_port, flows.dst_port) end
            as flow_port,
        case when flows.counts_scaled then flows.bytes
            else flows.bytes * flows.sampling_interval end as bytes,
        src.subscriber_id as src_id, src.access as src_access, src.customer_class as src_class,
        dst.subscriber_id as dst_id, dst.access as dst_access, dst.customer_class as dst_class
    from raw.flows as flows
    left join main.report_protocols as names on names.protocol = flows.protocol
    join quarters on quarters.quarter = time_bucket(interval 15 minute, flows.flow_start)
    left join ref_holders as src on src.hi = flows.src_addr_hi and src.lo = flows.src_addr_lo
        and flows.flow_start >= src.valid_from and flows.flow_start < src.valid_to
    left join ref_holders as dst on dst.hi = flows.dst_addr_hi and dst.lo = flows.dst_addr_lo
        and flows.flow_start >= dst.valid_from and flows.flow_start < dst.valid_to
    where flows.week_start = $week
),
flow_ends as (
    select flows.*, ends.direction,
        case ends.direction when 'IN' then src_id when 'OUT' then dst_id end as subscriber_id,
        case ends.direction when 'IN' then src_access when 'OUT' then dst_access end as access,
        case ends.direction when 'IN' then src_class when 'OUT' then dst_class end
            as customer_class,
        case when flow_port < 1024 then 'low' when flow_port >= 1024 then 'high' end
            as port_range,
        case when flow_port in (select port from named_ports) then flow_port end as port
    from flows
    cross join (values ('IN'), ('OUT'), ('unattributed')) as ends (direction)
    where (ends.direction = 'IN' and src_id is not null)
        or (ends.direction = 'OUT' and dst_id is not null)
        or (ends.direction = 'unattributed' and src_id is null and dst_id is null)
)
select
    grouping(subscriber_id, hour_start, flow_port) as aggregate,
    service, direction, access, customer_class, subscriber_id, hour_start, address_family,
    protocol_name, other_protocol, port_range, port, flow_port,
    sum(bytes) as bytes, count(*) as flows
from flow_ends
group by grouping sets (
    (service, direction, access, customer_class, subscriber_id),
    (service, direction, access, customer_class, hour_start, address_family, protocol_name,
        port_range, port),
    (service, direction, access, protocol_name, other_protocol, flow_port)
)
"""
# `aggregate` of each grouping set: which of (subscriber_id, hour_start, flow_port) it lacks.
PER_USER, PER_HOUR, PER_PORT = 0b011, 0b101, 0b110

SUMMARY_SQL = f"""
create or replace temp table ref_usage_summary as
with users as (
    select service, access, customer_class, subscriber_id,
        coalesce(sum(bytes) filter (where direction = 'IN'), 0) as bytes_in,
        coalesce(sum(bytes) filter (where direction = 'OUT'), 0) as bytes_out
    from ref_aggregates
    where aggregate = {PER_USER} and direction in ('IN', 'OUT') and access = 'pppoe'
    group by all
    union all
    select service, access, customer_class, subscriber_id, sum(bytes_in), sum(bytes_out)
    from raw.usage_counters
    where week_start = $week and access in ('ipoe', 'mobile')
    group by all
),
user_days as (
    select service, 'IN' as direction, bytes_in as week_bytes from users
    where customer_class = 'personal'
    union all
    select service, 'OUT', bytes_out from users where customer_class = 'personal'
)
select service, direction, count(*) as users,
    sum(week_bytes) / count(*) / 7 / 1e6 as mean_mb,
    median(week_bytes / 7.0) / 1e6 as median_mb
from user_days
group by all
"""

# week_port_shares lists every protocol/port from this share of a service's bytes.
LISTED_PCT = 0.5
PORTS_SQL = f"""
create or replace temp table ref_ports as
select service, protocol_name, other_protocol as protocol, flow_port as port,
    case when flow_port < 1024 then 'low' when flow_port >= 1024 then 'high' end as port_range,
    sum(bytes) as bytes
from ref_aggregates
where aggregate = {PER_PORT} and direction in ('IN', 'OUT') and access in ('pppoe', 'mobile')
group by all;

create or replace temp table ref_port_shares as
with shares as (
    select *, sum(bytes) over (partition by service) as total_bytes,
        100.0 * bytes / sum(bytes) over (partition by service) >= {LISTED_PCT} as listed
    from ref_ports
)
select service, protocol_name, protocol, port, bytes, 100.0 * bytes / total_bytes as share_pct
from shares where listed
union all
select service, null, null, null, coalesce(sum(bytes) filter (where not listed), 0),
    100.0 * coalesce(sum(bytes) filter (where not listed), 0) / any_value(total_bytes)
from shares group by service;

create or replace temp table ref_port_usage as
select rows.row_order, totals.service, coalesce(sum(ref_ports.bytes), 0) as bytes,
    100.0 * coalesce(sum(ref_ports.bytes), 0) / any_value(totals.total_bytes) as share_pct
from main.port_table_rows as rows
cross join (select service, sum(bytes) as total_bytes from ref_ports group by all) as totals
left join ref_ports on ref_ports.service = totals.service
    and ref_ports.protocol_name = rows.protocol_name
    and (rows.port_range is null or ref_ports.port_range = rows.port_range)
    and (rows.port is null or ref_ports.port = rows.port)
group by all
"""


def run_reference(con: duckdb.DuckDBPyConnection, week: AnalysisWeek) -> None:
    """Compute the reference tables of the week (temp tables ref_*)."""
    parameters = {"week": week.start}
    con.execute(HOLDERS_SQL, parameters)
    con.execute(AGGREGATES_SQL, {**parameters, "timezone": week.timezone})
    con.execute(SUMMARY_SQL, parameters)
    con.execute(PORTS_SQL)


@dataclass(frozen=True)
class Disagreement:
    table: str
    key: tuple
    column: str
    reference: object
    mart: object


def relative_difference(reference: object, mart: object) -> float:
    """|a - b| / max(|a|, |b|) for numbers (0 when equal, inf when only one is missing)."""
    if reference is None or mart is None:
        return 0.0 if reference is mart else math.inf
    a, b = float(reference), float(mart)  # type: ignore[arg-type]
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def disagreements(
    table: str,
    reference: Mapping[tuple, Mapping[str, object]],
    marts: Mapping[tuple, Mapping[str, object]],
    tolerance: float = TOLERANCE,
) -> list[Disagreement]:
    """Every key whose rows differ: missing on one side, or a value off by more than
    `tolerance` (relative)."""
    found = []
    for key in sorted(reference.keys() | marts.keys(), key=repr):
        ours, theirs = reference.get(key), marts.get(key)
        if ours is None or theirs is None:
            found.append(Disagreement(table, key, "(row)", ours, theirs))
            continue
        found.extend(
            Disagreement(table, key, column, ours[column], theirs[column])
            for column in ours
            if relative_difference(ours[column], theirs[column]) > tolerance
        )
    return found


def keyed(rows: Iterable[tuple], key_columns: int, names: tuple[str, ...]) -> dict[tuple, dict]:
    """{key: {name: value}} from rows whose first `key_columns` values are the key."""
    return {row[:key_columns]: dict(zip(names, row[key_columns:], strict=True)) for row in rows}


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, keys: tuple[str, ...], values: tuple[str, ...],
           week: AnalysisWeek) -> dict[tuple, dict]:  # fmt: skip
    query = sql.format(columns=", ".join((*keys, *values)))
    rows = con.execute(query, {"week": week.start} if "$week" in query else None)
    return keyed(rows.fetchall(), len(keys), values)


def compare(con: duckdb.DuckDBPyConnection, week: AnalysisWeek) -> list[Disagreement]:
    """The reference tables against the week's marts."""
    checks = (
        ("usage_summary", SUMMARY_KEYS, ("users", "mean_mb", "median_mb"), "ref_usage_summary"),
        ("week_port_shares", PORT_KEYS, ("bytes", "share_pct"), "ref_port_shares"),
        ("port_usage", ("service", "row_order"), ("bytes", "share_pct"), "ref_port_usage"),
        ("int_traffic_hourly", HOURLY_KEYS, ("bytes", "flows"),
         f"ref_aggregates where aggregate = {PER_HOUR}"),
    )  # fmt: skip
    found = []
    for table, keys, values, reference in checks:
        ours = _fetch(con, f"select {{columns}} from {reference}", keys, values, week)
        mart = f"select {{columns}} from main.{table} where week_start = $week"
        theirs = _fetch(con, mart, keys, values, week)
        found += disagreements(table, ours, theirs)
    return found
