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
        split_part(address, '/', 1) as network_address,
        nullif(trim(split_part(address, '/', 2)), '') as prefix_text,
        valid_from,
        -- An open assignment is valid until further notice.
        coalesce(valid_to, '9999-12-31'::timestamp) as valid_to
    from week_assignments
),

parsed as (
    {{ select_with_address_int('split', 'network_address') }}
),

typed as (
    select
        * exclude (prefix_text, network_address),
        coalesce(try_cast(prefix_text as integer), {{ address_width('address_family') }})
            as prefix_len
    from parsed
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
            then address_int >> ({{ address_width('address_family') }} - prefix_len)::uhugeint
    end as network_key,
    valid_from,
    valid_to
from typed
