{#
  Each flow attributed to the subscribers holding its source (IN) and destination (OUT)
  address at the flow's start: an interval (as-of) join on the assignments, matched on
  the network key for every supported prefix length, longest prefix first.

  Output: one row per attributed flow end, so a flow between two subscribers is one
  subscriber's upload and the other's download (two rows); a flow that matches no
  subscriber is kept as one row with direction 'unattributed'.
#}
{%- set ipv4_lengths = var('ipv4_prefix_lengths') | sort(reverse=true) -%}
{%- set ipv6_lengths = var('ipv6_prefix_lengths') | sort(reverse=true) -%}
{%- set slots = range([ipv4_lengths | length, ipv6_lengths | length] | max) -%}
{%- set holder_columns = ['subscriber_id', 'access', 'customer_class'] -%}

with flows as (
    select * from {{ ref('stg_flows') }}
),

assignments as (
    select * from {{ ref('stg_assignments') }}
),

-- For each slot: the prefix length it matches per family (longest first).
flows_with_slot_lengths as (
    select
        *,
        {%- for slot in slots %}
        case address_family
            when 'ipv4' then {{ ipv4_lengths[slot] if slot < ipv4_lengths | length else 'null' }}
            when 'ipv6' then {{ ipv6_lengths[slot] if slot < ipv6_lengths | length else 'null' }}
        end as slot_{{ slot }}_prefix_len{% if not loop.last %},{% endif %}
        {%- endfor %}
    from flows
),

holders as (
    select
        flows.*,
        {%- for end in ['src', 'dst'] %}
        {%- for column in holder_columns %}
        coalesce(
            {%- for slot in slots %}
            {{ end }}_{{ slot }}.{{ column }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as {{ end }}_{{ column }}{% if not (loop.last and end == 'dst') %},{% endif %}
        {%- endfor %}
        {%- endfor %}
    from flows_with_slot_lengths as flows
    {%- for end in ['src', 'dst'] %}
    {%- for slot in slots %}
    left join assignments as {{ end }}_{{ slot }}
        on {{ end }}_{{ slot }}.address_family = flows.address_family
        and {{ end }}_{{ slot }}.prefix_len = flows.slot_{{ slot }}_prefix_len
        and {{ end }}_{{ slot }}.network_key = flows.{{ end }}_addr_int
            >> ({{ address_width('flows.address_family') }} - flows.slot_{{ slot }}_prefix_len)::uhugeint
        and flows.flow_start_utc >= {{ end }}_{{ slot }}.valid_from
        and flows.flow_start_utc < {{ end }}_{{ slot }}.valid_to
    {%- endfor %}
    {%- endfor %}
),

flow_ends as (
    select *
    from holders
    cross join (values ('IN'), ('OUT')) as ends (flow_end)
    where (flow_end = 'IN' and src_subscriber_id is not null)
        or (flow_end = 'OUT' and dst_subscriber_id is not null)
        -- a flow without any subscriber is kept once, on its IN row
        or (flow_end = 'IN' and src_subscriber_id is null and dst_subscriber_id is null)
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
    src_addr,
    dst_addr,
    bytes,
    packets,
    case
        when src_subscriber_id is null and dst_subscriber_id is null then 'unattributed'
        else flow_end
    end as direction,
    {%- for column in holder_columns %}
    case flow_end
        when 'IN' then src_{{ column }}
        else dst_{{ column }}
    end as {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from flow_ends
