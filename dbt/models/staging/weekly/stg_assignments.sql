-- Address and prefix assignments of the analysis week, with the network as a key: the top
-- `prefix_len` bits of its 128-bit number (network_key_hi, network_key_lo), which flows
-- are matched on.
with week_assignments as (
    select *
    from {{ source('raw', 'assignments') }}
    where week_start = {{ analysis_week_start() }}
),

mapped as (
    select
        *,
        {{ address_family('network_hi', 'network_lo') }} as address_family,
        {{ mapped_prefix_len('network_hi', 'network_lo', 'prefix_len') }} as mapped_len
    from week_assignments
)

select
    week_start,
    subscriber_id,
    service,
    access,
    customer_class,
    address_family,
    mapped_len as prefix_len,
    network_hi,
    network_lo,
    {{ network_key_hi('network_hi', 'mapped_len') }} as network_key_hi,
    {{ network_key_lo('network_lo', 'mapped_len') }} as network_key_lo,
    valid_from,
    -- An open assignment is valid until further notice.
    coalesce(valid_to, '9999-12-31'::timestamp) as valid_to
from mapped
