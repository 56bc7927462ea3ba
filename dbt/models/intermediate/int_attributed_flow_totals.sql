{#
  The week's flows attributed to the subscriber lines holding their source (IN) and
  destination (OUT) address at the flow's start, and summed in the same pass at the three
  grains the report reads, so that no table of one row per flow is written:
  - 'line': per service, direction and line key (int_holders): each line's volume;
  - 'hour': per service, direction, the line's access and class, local hour, address family,
    protocol and port row of Tables 3/4 (or port range): the hourly traffic;
  - 'port': per service, direction, the line's access and class, protocol and port: the
    week's port table.

  Attribution is an interval (as-of) join: addresses are matched once per distinct address
  of the week (int_address_holders, a small stored table, which carries the line's access
  and class); flows join it on the address's two 64-bit halves and the flow's start within
  [valid_from, valid_to).

  Each flow end counts: a flow between two subscribers is one subscriber's upload and the
  other's download (counted once for each line, its bytes also in between_subscribers_bytes);
  a flow that matches no subscriber is kept once, as direction 'unattributed' (never dropped).
#}
with flows as (
    select * from {{ ref('stg_flows') }}
),

address_holders as (
    select * from {{ ref('int_address_holders') }}
    where week_start = {{ analysis_week_start() }}
),

-- the ports with a row of their own in Tables 3/4; other ports count by range only
named_ports as (
    select distinct port
    from {{ ref('port_table_rows') }}
    where port is not null
),

held_flows as (
    select
        flows.*,
        {%- for end in ['src', 'dst'] %}
        {{ end }}_holder.holder_key as {{ end }}_holder_key,
        {{ end }}_holder.access as {{ end }}_access,
        {{ end }}_holder.customer_class as {{ end }}_customer_class{{ ',' if not loop.last }}
        {%- endfor %}
    from flows
    {%- for end in ['src', 'dst'] %}
    left join address_holders as {{ end }}_holder
        on {{ end }}_holder.address_hi = flows.{{ end }}_addr_hi
        and {{ end }}_holder.address_lo = flows.{{ end }}_addr_lo
        and flows.flow_start_utc >= {{ end }}_holder.valid_from
        and flows.flow_start_utc < {{ end }}_holder.valid_to
    {%- endfor %}
),

-- a flow's ends that subscribers hold; a flow without any subscriber is kept once, on 'IN'
flow_ends as (
    select
        *,
        {{ unnest_list(flow_end_list('src_holder_key is not null', 'dst_holder_key is not null')) }}
            as flow_end
    from held_flows
),

attributed_ends as (
    select
        flow_ends.week_start,
        flow_ends.service,
        case
            when flow_ends.src_holder_key is null and flow_ends.dst_holder_key is null
            then 'unattributed'
            else flow_ends.flow_end
        end as direction,
        {%- for column in ['holder_key', 'access', 'customer_class'] %}
        case flow_ends.flow_end
            when 'IN' then flow_ends.src_{{ column }}
            else flow_ends.dst_{{ column }}
        end as {{ column }},
        {%- endfor %}
        flow_ends.flow_hour_local,
        flow_ends.address_family,
        flow_ends.protocol,
        flow_ends.protocol_name,
        flow_ends.flow_port,
        case
            when flow_ends.flow_port < 1024 then 'low'
            when flow_ends.flow_port >= 1024 then 'high'
        end as port_range,
        named_ports.port as named_port,
        flow_ends.bytes,
        -- both ends held by subscribers: the flow is on two lines, an IN end and an OUT end
        flow_ends.src_holder_key is not null
        and flow_ends.dst_holder_key is not null as between_subscribers
    from flow_ends
    left join named_ports on named_ports.port = flow_ends.flow_port
)

select
    week_start,
    -- which grouping set a row is of: its own column is grouped (it may itself be null)
    case
        when grouping(holder_key) = 0 then 'line'
        when grouping(flow_hour_local) = 0 then 'hour'
        else 'port'
    end as grain,
    service,
    direction,
    holder_key,
    access,
    customer_class,
    flow_hour_local,
    address_family,
    protocol_name,
    protocol,
    flow_port,
    port_range,
    named_port,
    sum(bytes) as bytes,
    count(*) as flows,
    coalesce(sum(bytes) filter (where between_subscribers), 0) as between_subscribers_bytes
from attributed_ends
group by grouping sets (
    (week_start, service, direction, holder_key),
    (
        week_start, service, direction, access, customer_class, flow_hour_local,
        address_family, protocol_name, port_range, named_port
    ),
    (week_start, service, direction, access, customer_class, protocol_name, protocol, flow_port)
)
