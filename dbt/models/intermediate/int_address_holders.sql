-- The week's flow addresses that belong to a subscriber, with the holder and its interval.
-- Each distinct flow address is parsed once and cut to every prefix length the week's
-- assignments use. The cut keys are projected before the join to the assignments, so the
-- join is on plain key columns (a join on the expression let the planner pair every address
-- with every assignment of its family first).
with flows as (
    select * from {{ ref('stg_flows') }}
),

assignments as (
    select * from {{ ref('stg_assignments') }}
),

flow_addresses as (
    select src_addr as flow_address from flows
    union
    select dst_addr as flow_address from flows
),

parsed_addresses as (
    {{ select_with_address_int('flow_addresses', 'flow_address') }}
),

prefix_lengths as (
    select distinct address_family, prefix_len from assignments
),

address_keys as (
    select
        parsed_addresses.flow_address,
        parsed_addresses.address_family,
        prefix_lengths.prefix_len,
        parsed_addresses.address_int
            >> ({{ address_width('parsed_addresses.address_family') }}
                - prefix_lengths.prefix_len)::uhugeint as network_key
    from parsed_addresses
    join prefix_lengths using (address_family)
)

select
    {{ analysis_week_start() }} as week_start,
    address_keys.flow_address,
    assignments.subscriber_id,
    assignments.access,
    assignments.customer_class,
    assignments.valid_from,
    assignments.valid_to
from address_keys
join assignments using (address_family, prefix_len, network_key)
