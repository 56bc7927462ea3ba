-- Daily usage (week total / 7) of the week's personal users, one row per user and
-- direction: the population of every per-user statistic (Tables 1-2, Figures 3-6, skew).
-- Sums over users add the whole bytes (week_bytes): integer sums are exact in any order, so
-- a mean or share is the same on every run and machine, where a sum of doubles is not.
with personal_users as (
    select *
    from {{ ref('int_user_week_totals') }}
    where week_start = {{ analysis_week_start() }}
        and customer_class = 'personal'
)

select
    week_start,
    service,
    access,
    subscriber_id,
    'IN' as direction,
    bytes_in as week_bytes,
    bytes_in::double / 7 as daily_bytes
from personal_users
union all
select
    week_start,
    service,
    access,
    subscriber_id,
    'OUT' as direction,
    bytes_out as week_bytes,
    bytes_out::double / 7 as daily_bytes
from personal_users
