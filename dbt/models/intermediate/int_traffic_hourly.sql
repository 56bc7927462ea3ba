-- The week's flow traffic per local hour, direction, subscriber access and class, protocol
-- and port: ports with a row in Tables 3/4 are kept, the others only by range.
select
    week_start,
    service,
    direction,
    access,
    customer_class,
    flow_hour_local as hour_start,
    protocol_name,
    case
        when flow_port < 1024 then 'low'
        when flow_port >= 1024 then 'high'
    end as port_range,
    case when flow_port in {{ named_ports() }} then flow_port end as port,
    sum(bytes) as bytes,
    count(*) as flows
from {{ ref('int_flows_attributed') }}
group by all
