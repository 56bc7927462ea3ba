-- Bytes each subscriber line sent (IN) and received (OUT) in the week's flows: the line
-- totals of the attributed flows, the line's subscriber, access and class joined to them.
with line_flows as (
    select
        week_start,
        service,
        holder_key,
        coalesce(sum(bytes) filter (where direction = 'IN'), 0) as bytes_in,
        coalesce(sum(bytes) filter (where direction = 'OUT'), 0) as bytes_out,
        coalesce(sum(flows) filter (where direction = 'IN'), 0) as flows_in,
        coalesce(sum(flows) filter (where direction = 'OUT'), 0) as flows_out
    from {{ ref('int_attributed_flow_totals') }}
    where week_start = {{ analysis_week_start() }}
        and grain = 'line'
        and direction in ('IN', 'OUT')
    group by week_start, service, holder_key
),

holders as (
    select * from {{ ref('int_holders') }}
    where week_start = {{ analysis_week_start() }}
)

select
    line_flows.week_start,
    line_flows.service,
    holders.access,
    holders.customer_class,
    holders.subscriber_id,
    line_flows.bytes_in,
    line_flows.bytes_out,
    line_flows.flows_in,
    line_flows.flows_out
from line_flows
join holders using (holder_key)
