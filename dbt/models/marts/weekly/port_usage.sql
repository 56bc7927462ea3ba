{#
  Tables 3 and 4: share (%) of the week's bytes by protocol and port, one row per table row
  and service. Bytes are those of flows with port detail: for broadband the PPPoE
  subscribers' flows (IPoE has no flow detail), for mobile the mobile subscribers' flows;
  enterprise customers are included, unattributed traffic is not (traffic_attribution
  counts it). The lower of the two ports names a TCP/UDP flow. The rows are the seed
  port_table_rows.
#}
with scoped_traffic as (
    select week_start, service, protocol_name, port_range, port, sum(bytes) as bytes
    from {{ ref('int_traffic_hourly') }}
    where week_start = {{ analysis_week_start() }}
        and {{ in_flow_detail_scope() }}
    group by all
),

service_totals as (
    select week_start, service, sum(bytes) as total_bytes
    from scoped_traffic
    group by all
),

table_rows as (
    select row_order, label, level, protocol_name, port_range, port
    from {{ ref('port_table_rows') }}
),

row_bytes as (
    select
        service_totals.week_start,
        service_totals.service,
        table_rows.row_order,
        table_rows.label,
        table_rows.level,
        table_rows.protocol_name,
        table_rows.port_range,
        table_rows.port,
        service_totals.total_bytes,
        coalesce(sum(scoped_traffic.bytes), 0) as bytes
    from service_totals
    cross join table_rows
    left join scoped_traffic
        on scoped_traffic.week_start = service_totals.week_start
        and scoped_traffic.service = service_totals.service
        and scoped_traffic.protocol_name = table_rows.protocol_name
        and (table_rows.port_range is null or scoped_traffic.port_range = table_rows.port_range)
        and (table_rows.port is null or scoped_traffic.port = table_rows.port)
    group by all
)

select
    week_start,
    service,
    row_order,
    label,
    level,
    protocol_name,
    port_range,
    port,
    bytes::{{ exact_integer() }} as bytes,
    total_bytes::{{ exact_integer() }} as total_bytes,
    100 * bytes::double / nullif(total_bytes, 0) as share_pct
from row_bytes
