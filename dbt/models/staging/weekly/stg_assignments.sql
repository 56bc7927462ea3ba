-- Address and prefix assignments of the analysis week, with the network as a number: the
-- address's top `prefix_len` bits (network_key), which flows are matched on.
with week_assignments as (
    select *
    from {{ source('raw', 'assignments') }}
    where week_start = {{ analysis_week_start() }}
),

split as (
    select
        week_start,
        subscriber_id,
        service,
        access,
        customer_class,
        address,
        lower(trim(split_part(address, '/', 1))) as network_address,
        nullif(trim(split_part(address, '/', 2)), '') as prefix_text,
        valid_from,
        -- An open assignment is valid until further notice.
        coalesce(valid_to, '9999-12-31'::timestamp) as valid_to
    from week_assignments
),

typed as (
    select
        * exclude (prefix_text),
        {{ address_family('network_address') }} as address_family,
        coalesce(
            try_cast(prefix_text as integer),
            {{ address_width(address_family('network_address')) }}
        ) as prefix_len,
        {{ ip_to_int('network_address') }} as network_int
    from split
)

select
    week_start,
    subscriber_id,
    service,
    access,
    customer_class,
    address,
    address_family,
    prefix_len,
    case
        when prefix_len between 1 and {{ address_width('address_family') }}
            then network_int >> ({{ address_width('address_family') }} - prefix_len)::uhugeint
    end as network_key,
    valid_from,
    valid_to
from typed
