{#
  Skew of usage: share of the week's personal volume taken by the top 1% and top 10% of
  users, per service and direction, users ranked separately per direction. The top p% is
  the ceil(users * p / 100) heaviest users; users tied at the boundary have the same volume,
  so which of them count does not change the sum.

  Each group's volumes are sorted once as a list of integers (no window over every user
  with its labels), and the top p% is the sum of the list's first ceil(users * p / 100).
#}
with user_groups as (
    select
        week_start,
        service,
        direction,
        count(*) as users,
        -- integer sums: exact, so the shares do not depend on the order rows are added in
        sum(week_bytes) as total_bytes,
        {{ descending_list('week_bytes') }} as volumes_descending
    from {{ ref('int_personal_daily_usage') }}
    group by week_start, service, direction
),

top_groups as (
    select
        user_groups.week_start,
        user_groups.service,
        user_groups.direction,
        tops.top_percent,
        user_groups.users,
        ceil(user_groups.users * tops.top_percent / 100.0)::bigint as top_users,
        user_groups.total_bytes,
        {{ sum_of_first(
            'user_groups.volumes_descending',
            'ceil(user_groups.users * tops.top_percent / 100.0)::bigint'
        ) }} as top_bytes
    from user_groups
    cross join (values (1), (10)) as tops (top_percent)
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
