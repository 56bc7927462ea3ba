{#
  Each flow attributed to the subscribers holding its source (IN) and destination (OUT)
  address at the flow's start: an interval (as-of) join on the assignments.

  Addresses are matched once per distinct address of the week (int_address_holders, a
  small stored table); flows join those holders on the address's two 64-bit halves and the
  flow's start within [valid_from, valid_to). Assignments never nest or overlap in time (a data test on
  stg_assignments), so a flow end has at most one holder.

  Stored once per week (incremental, the week replaced), so the aggregates and tests read it
  instead of repeating the joins, and without the addresses: past attribution only the
  subscriber pseudonym says whose traffic it is.

  Output: one row per attributed flow end, so a flow between two subscribers is one
  subscriber's upload and the other's download (two rows, both marked between_subscribers);
  a flow that matches no subscriber is kept as one row with direction 'unattributed'.
#}
{%- set holder_columns = ['subscriber_id', 'access', 'customer_class'] -%}

with flows as (
    select * from {{ ref('stg_flows') }}
),

address_holders as (
    select * from {{ ref('int_address_holders') }}
    where week_start = {{ analysis_week_start() }}
),

holders as (
    select
        flows.*,
        {%- for end in ['src', 'dst'] %}
        {%- for column in holder_columns %}
        {{ end }}_holder.{{ column }} as {{ end }}_{{ column }}
        {%- if not (loop.last and end == 'dst') %},{% endif %}
        {%- endfor %}
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

-- a flow without any subscriber is kept once, on its IN row
flow_ends as (
    select *, 'IN' as flow_end
    from holders
    where src_subscriber_id is not null or dst_subscriber_id is null
    union all
    select *, 'OUT' as flow_end
    from holders
    where dst_subscriber_id is not null
)

select
    week_start,
    flow_start_utc,
    flow_start_local,
    flow_hour_local,
    service,
    exporter,
    protocol,
    protocol_name,
    flow_port,
    address_family,
    bytes,
    packets,
    case
        when src_subscriber_id is null and dst_subscriber_id is null then 'unattributed'
        else flow_end
    end as direction,
    -- both ends held by subscribers: the flow is on two lines, an IN row and an OUT row
    src_subscriber_id is not null and dst_subscriber_id is not null as between_subscribers,
    {%- for column in holder_columns %}
    case flow_end
        when 'IN' then src_{{ column }}
        else dst_{{ column }}
    end as {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from flow_ends
