-- Bytes each subscriber sent (IN) and received (OUT) in the week's flows.
select
    week_start,
    service,
    access,
    customer_class,
    subscriber_id,
    coalesce(sum(bytes) filter (where direction = 'IN'), 0) as bytes_in,
    coalesce(sum(bytes) filter (where direction = 'OUT'), 0) as bytes_out,
    count(*) filter (where direction = 'IN') as flows_in,
    count(*) filter (where direction = 'OUT') as flows_out
from {{ ref('int_flows_attributed') }}
where week_start = {{ analysis_week_start() }}
    and direction in ('IN', 'OUT')
group by week_start, service, access, customer_class, subscriber_id
