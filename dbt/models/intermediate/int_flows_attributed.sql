{#
  Each flow attributed to the subscriber lines holding its source (IN) and destination (OUT)
  address at the flow's start: an interval (as-of) join on the assignments.

  Addresses are matched once per distinct address of the week (int_address_holders, a
  small stored table); flows join those holders on the address's two 64-bit halves and the
  flow's start within [valid_from, valid_to).

  Stored once per week (incremental, the week replaced), so the aggregates and tests read it
  instead of repeating the joins, and narrow: no address, no subscriber, only the integer
  key of the line (int_holders), whose attributes the aggregates join after grouping; and
  only the columns they read.

  Output: one row per attributed flow end, so a flow between two subscribers is one
  subscriber's upload and the other's download (two rows, both marked between_subscribers);
  a flow that matches no subscriber is kept as one row with direction 'unattributed'.
#}
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
        src_holder.holder_key as src_holder_key,
        dst_holder.holder_key as dst_holder_key
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
    from holders
)

select
    week_start,
    flow_hour_local,
    service,
    protocol,
    protocol_name,
    flow_port,
    address_family,
    bytes,
    case
        when src_holder_key is null and dst_holder_key is null then 'unattributed'
        else flow_end
    end as direction,
    -- both ends held by subscribers: the flow is on two lines, an IN row and an OUT row
    src_holder_key is not null and dst_holder_key is not null as between_subscribers,
    case flow_end when 'IN' then src_holder_key else dst_holder_key end as holder_key
from flow_ends
