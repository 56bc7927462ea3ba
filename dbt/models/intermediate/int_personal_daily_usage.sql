-- Daily usage (week total / 7) of the week's personal users, one row per user and
-- direction: the population of every per-user statistic (Tables 1-2, Figures 3-6, skew).
with personal_users as (
    select *
    from {{ ref('int_user_week_totals') }}
    where customer_class = 'personal'
)

select
    week_start,
    service,
    access,
    subscriber_id,
    'IN' as direction,
    bytes_in / 7.0 as daily_bytes
from personal_users
union all
select
    week_start,
    service,
    access,
    subscriber_id,
    'OUT' as direction,
    bytes_out / 7.0 as daily_bytes
from personal_users
