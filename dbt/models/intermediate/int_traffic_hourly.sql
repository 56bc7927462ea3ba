-- The week's flow traffic per local hour, direction, subscriber access and class, address
-- family, protocol and port: ports with a row in Tables 3/4 (seed port_table_rows) are kept,
-- the others only by range.
with named_ports as (
    select distinct port
    from {{ ref('port_table_rows') }}
    where port is not null
),

-- the lines' access and class, joined by the flows' line key (none for unattributed flows)
holders as (
    select * from {{ ref('int_holders') }}
    where week_start = {{ analysis_week_start() }}
)

select
    attributed_flows.week_start,
    attributed_flows.service,
    attributed_flows.direction,
    holders.access,
    holders.customer_class,
    attributed_flows.flow_hour_local as hour_start,
    attributed_flows.address_family,
    attributed_flows.protocol_name,
    case
        when attributed_flows.flow_port < 1024 then 'low'
        when attributed_flows.flow_port >= 1024 then 'high'
    end as port_range,
    named_ports.port,
    sum(attributed_flows.bytes) as bytes,
    count(*) as flows
from {{ ref('int_flows_attributed') }} as attributed_flows
left join holders using (holder_key)
left join named_ports on named_ports.port = attributed_flows.flow_port
where attributed_flows.week_start = {{ analysis_week_start() }}
group by all
