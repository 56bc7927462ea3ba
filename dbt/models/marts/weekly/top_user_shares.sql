{#
  Skew of usage: share of the week's personal volume taken by the top 1% and top 10% of
  users, per service and direction, users ranked separately per direction. The top p% is
  the ceil(users * p / 100) heaviest users (ties broken by the user key, deterministically).
#}
with ranked as (
    select
        week_start,
        service,
        direction,
        week_bytes,
        row_number() over (
            partition by week_start, service, direction
            order by week_bytes desc, access, subscriber_id
        ) as user_rank,
        count(*) over (partition by week_start, service, direction) as users,
        -- integer sums: exact, so the shares do not depend on the order rows are added in
        sum(week_bytes) over (partition by week_start, service, direction) as total_bytes
    from {{ ref('int_personal_daily_usage') }}
),

top_groups as (
    select
        ranked.week_start,
        ranked.service,
        ranked.direction,
        tops.top_percent,
        ranked.users,
        ceil(ranked.users * tops.top_percent / 100.0)::bigint as top_users,
        ranked.total_bytes,
        sum(ranked.week_bytes) filter (
            where ranked.user_rank <= ceil(ranked.users * tops.top_percent / 100.0)
        ) as top_bytes
    from ranked
    cross join (values (1), (10)) as tops (top_percent)
    group by all
)

select
    week_start,
    service,
    direction,
    top_percent,
    users,
    top_users,
    top_bytes::double as top_bytes_week,
    total_bytes::double as total_bytes_week,
    100 * top_bytes::double / nullif(total_bytes, 0) as share_pct
from top_groups
