{#
  Not in the published report: the IPv6 share of the week's flow bytes per service and
  direction. The scope of the port statistics (in_flow_detail_scope): flows attributed to a
  PPPoE or mobile subscriber, enterprise included; IPoE has no flow detail and unattributed
  traffic has no direction. A flow between two subscribers counts once for each line.
#}
with family_bytes as (
    select
        week_start,
        service,
        direction,
        coalesce(sum(bytes) filter (where address_family = 'ipv4'), 0) as ipv4_bytes,
        coalesce(sum(bytes) filter (where address_family = 'ipv6'), 0) as ipv6_bytes,
        sum(bytes) as total_bytes
    from {{ ref('int_traffic_hourly') }}
    where week_start = {{ analysis_week_start() }}
        and {{ in_flow_detail_scope() }}
    group by all
)

select
    week_start,
    service,
    direction,
    ipv4_bytes::{{ exact_integer() }} as ipv4_bytes,
    ipv6_bytes::{{ exact_integer() }} as ipv6_bytes,
    total_bytes::{{ exact_integer() }} as total_bytes,
    100 * ipv6_bytes::double / nullif(total_bytes, 0) as ipv6_share_pct
from family_bytes
