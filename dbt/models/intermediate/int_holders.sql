-- The week's subscriber lines (subscriber, access, class), each with the integer key the
-- attributed flows carry: flows are stored with the key, and the lines' attributes are
-- joined to the much smaller aggregates of them.
with lines as (
    select distinct subscriber_id, access, customer_class
    from {{ ref('stg_assignments') }}
)

select
    {{ analysis_week_start() }} as week_start,
    cast(dense_rank() over (order by subscriber_id, access, customer_class) as integer)
        as holder_key,
    subscriber_id,
    access,
    customer_class
from lines
