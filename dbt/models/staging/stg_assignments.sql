-- Address assignments that overlap the analysis week, with open intervals closed far away.
select
    subscriber_id,
    service,
    access,
    customer_class,
    address,
    valid_from,
    coalesce(valid_to, '9999-12-31'::timestamp) as valid_to
from {{ source('raw', 'assignments') }}
where week_start = '{{ var("week_start") }}'::date
