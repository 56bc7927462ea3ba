{#
  How much of the week's flow traffic was attributed to subscribers, per service and
  attribution: direction IN/OUT and access of the subscriber, or 'unattributed' for flows
  whose addresses matched no assignment valid at the flow's time (kept and shown here, never
  silently dropped). A flow between two subscribers counts once per end.
#}
with traffic as (
    select
        week_start,
        service,
        direction,
        coalesce(access, 'none') as access,
        sum(flows) as flows,
        sum(bytes) as bytes
    from {{ ref('int_traffic_hourly') }}
    where week_start = {{ analysis_week_start() }}
    group by all
)

select
    week_start,
    service,
    direction,
    access,
    flows,
    bytes::{{ exact_integer() }} as bytes,
    100 * bytes::double / nullif(sum(bytes) over (partition by week_start, service), 0) as share_pct
from traffic
