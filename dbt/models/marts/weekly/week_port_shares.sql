{#
  The port table of a week's own page: share (%) of the week's bytes by protocol and port,
  per service. Every protocol/port with at least threshold_pct (0.5%) of the service's bytes
  is a row of its own, the rest is one 'other' row (always present), so the rows sum to 100.
  Same bytes as port_usage: PPPoE broadband and mobile subscribers' flows, enterprise
  included, unattributed traffic not; the lower of the two ports names a TCP/UDP flow.
  A flow between two subscribers counts once for each line (per-line accounting):
  between_subscribers_bytes holds those bytes of every row (subscriber_pair_traffic sums
  them).
#}
{%- set threshold_pct = 0.5 -%}

with scoped_ports as (
    select
        week_start,
        service,
        protocol_name,
        -- the report names few protocols: the others keep their number
        case when protocol_name = 'other' then protocol end as protocol,
        flow_port as port,
        bytes,
        between_subscribers_bytes
    from {{ ref('int_attributed_flow_totals') }}
    -- the line's access decides the scope; unattributed flows have no line
    where week_start = {{ analysis_week_start() }}
        and grain = 'port'
        and {{ in_flow_detail_scope() }}
),

port_bytes as (
    select
        week_start,
        service,
        protocol_name,
        protocol,
        port,
        sum(bytes) as bytes,
        sum(between_subscribers_bytes) as between_subscribers_bytes
    from scoped_ports
    group by all
),

port_shares as (
    select
        *,
        sum(bytes) over (partition by week_start, service) as total_bytes,
        100 * bytes::double / nullif(sum(bytes) over (partition by week_start, service), 0)
            >= {{ threshold_pct }} as listed
    from port_bytes
),

listed_ports as (
    select
        week_start,
        service,
        coalesce('IP protocol ' || protocol::string, protocol_name)
            || coalesce(' ' || port::string, '') as label,
        protocol_name,
        protocol,
        port,
        bytes,
        between_subscribers_bytes,
        total_bytes
    from port_shares
    where listed
),

other_ports as (
    select
        week_start,
        service,
        'other' as label,
        null as protocol_name,
        null as protocol,
        null as port,
        coalesce(sum(bytes) filter (where not listed), 0) as bytes,
        coalesce(sum(between_subscribers_bytes) filter (where not listed), 0)
            as between_subscribers_bytes,
        total_bytes
    from port_shares
    group by week_start, service, total_bytes
),

table_rows as (
    select * from listed_ports
    union all
    select * from other_ports
)

select
    week_start,
    service,
    cast(row_number() over (
        partition by week_start, service
        order by protocol_name is null, bytes desc, protocol_name, protocol, port
    ) as integer) as row_order,
    label,
    protocol_name,
    protocol::smallint as protocol,
    port::integer as port,
    bytes::{{ exact_integer() }} as bytes,
    between_subscribers_bytes::{{ exact_integer() }} as between_subscribers_bytes,
    total_bytes::{{ exact_integer() }} as total_bytes,
    100 * bytes::double / nullif(total_bytes, 0) as share_pct,
    {{ threshold_pct }}::double as threshold_pct
from table_rows
