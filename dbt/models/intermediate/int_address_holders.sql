-- The week's flow addresses that belong to a subscriber line, with its key (int_holders),
-- its access and class (which the flows' totals are grouped by), and the assignment's
-- interval.
-- Each distinct flow address is cut to every prefix length the week's assignments of its
-- family use; the keys are projected before the join to the assignments, so the join is on
-- plain integer columns.
-- The flows and the assignments are each read twice, where used (`cte_stored(false)`):
-- DuckDB would otherwise store them first, which took longer and more memory.
with flows as {{ cte_stored(false) }} (
    select * from {{ ref('stg_flow_addresses') }}
),

assignments as {{ cte_stored(false) }} (
    select * from {{ ref('stg_assignments') }}
),

holders as (
    select * from {{ ref('int_holders') }}
    where week_start = {{ analysis_week_start() }}
),

flow_addresses as (
    select src_addr_hi as address_hi, src_addr_lo as address_lo from flows
    union
    select dst_addr_hi, dst_addr_lo from flows
),

prefix_lengths as (
    select distinct address_family, prefix_len from assignments
),

address_keys as (
    select
        flow_addresses.address_hi,
        flow_addresses.address_lo,
        prefix_lengths.prefix_len,
        {{ network_key_hi('flow_addresses.address_hi', 'prefix_lengths.prefix_len') }}
            as network_key_hi,
        {{ network_key_lo('flow_addresses.address_lo', 'prefix_lengths.prefix_len') }}
            as network_key_lo
    from flow_addresses
    join prefix_lengths
        on prefix_lengths.address_family
            = {{ address_family('flow_addresses.address_hi', 'flow_addresses.address_lo') }}
)

select
    {{ analysis_week_start() }} as week_start,
    address_keys.address_hi,
    address_keys.address_lo,
    holders.holder_key,
    holders.access,
    holders.customer_class,
    assignments.valid_from,
    assignments.valid_to
from address_keys
join assignments using (prefix_len, network_key_hi, network_key_lo)
join holders using (subscriber_id, access, customer_class)
