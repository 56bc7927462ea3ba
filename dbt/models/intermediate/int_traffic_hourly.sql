-- The week's flow traffic per local hour, direction, subscriber access and class, address
-- family, protocol and port: ports with a row in Tables 3/4 (seed port_table_rows) are kept,
-- the others only by range (the hourly totals of the attributed flows).
select
    week_start,
    service,
    direction,
    access,
    customer_class,
    flow_hour_local as hour_start,
    address_family,
    protocol_name,
    port_range,
    named_port as port,
    bytes,
    flows
from {{ ref('int_attributed_flow_totals') }}
where week_start = {{ analysis_week_start() }}
    and grain = 'hour'
