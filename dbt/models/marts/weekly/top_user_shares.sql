{#
  Skew of usage: share of the week's personal volume taken by the top 1% and top 10% of
  users, per service and direction, users ranked separately per direction. The top p% is
  the ceil(users * p / 100) heaviest users; users tied at the boundary have the same volume,
  so which of them count does not change the sum.

  Only the users around each boundary are sorted. Users are counted and summed per volume
  magnitude (sixteenths of a power of two), which grows with the volume: every user of a
  magnitude above the one where the top p% ends is in it, with the magnitude's exact sum,
  and that boundary magnitude's volumes are sorted to take the heaviest of the rest.
#}
with magnitudes as (
    select
        week_start,
        service,
        direction,
        {{ volume_magnitude('week_bytes') }} as magnitude,
        count(*) as users,
        -- integer sums: exact, so the shares do not depend on the order rows are added in
        sum(week_bytes) as volume
    from {{ ref('int_personal_daily_usage') }}
    group by week_start, service, direction, {{ volume_magnitude('week_bytes') }}
),

magnitudes_from_top as (
    select
        week_start,
        service,
        direction,
        magnitude,
        users,
        volume,
        sum(users) over heavier_first as users_from_top,
        sum(volume) over heavier_first as volume_from_top
    from magnitudes
    window heavier_first as (
        partition by week_start, service, direction
        order by magnitude desc
        rows between unbounded preceding and current row
    )
),

user_groups as (
    select
        week_start,
        service,
        direction,
        sum(users) as users,
        sum(volume) as total_bytes
    from magnitudes
    group by week_start, service, direction
),

top_groups as (
    select
        user_groups.week_start,
        user_groups.service,
        user_groups.direction,
        tops.top_percent,
        cast(user_groups.users as bigint) as users,
        cast(ceil(user_groups.users * tops.top_percent / 100.0) as bigint) as top_users,
        user_groups.total_bytes
    from user_groups
    cross join (values (1), (10)) as tops (top_percent)
),

-- the magnitude in which each top p% ends, and the users and bytes of those above it
boundaries as (
    select
        top_groups.*,
        magnitudes_from_top.magnitude,
        magnitudes_from_top.users_from_top - magnitudes_from_top.users as users_above,
        magnitudes_from_top.volume_from_top - magnitudes_from_top.volume as bytes_above
    from top_groups
    join magnitudes_from_top
        on magnitudes_from_top.week_start = top_groups.week_start
        and magnitudes_from_top.service = top_groups.service
        and magnitudes_from_top.direction = top_groups.direction
        and magnitudes_from_top.users_from_top >= top_groups.top_users
        and magnitudes_from_top.users_from_top - magnitudes_from_top.users < top_groups.top_users
),

boundary_magnitudes as (
    select distinct week_start, service, direction, magnitude from boundaries
),

boundary_volumes as (
    select
        users.week_start,
        users.service,
        users.direction,
        boundary_magnitudes.magnitude,
        {{ descending_list('users.week_bytes') }} as volumes_descending
    from {{ ref('int_personal_daily_usage') }} as users
    join boundary_magnitudes
        on boundary_magnitudes.week_start = users.week_start
        and boundary_magnitudes.service = users.service
        and boundary_magnitudes.direction = users.direction
        and boundary_magnitudes.magnitude = {{ volume_magnitude('users.week_bytes') }}
    group by users.week_start, users.service, users.direction, boundary_magnitudes.magnitude
),

top_volumes as (
    select
        boundaries.week_start,
        boundaries.service,
        boundaries.direction,
        boundaries.top_percent,
        boundaries.users,
        boundaries.top_users,
        boundaries.total_bytes,
        boundaries.bytes_above + {{ sum_of_first(
            'boundary_volumes.volumes_descending', 'boundaries.top_users - boundaries.users_above'
        ) }} as top_bytes
    from boundaries
    join boundary_volumes
        on boundary_volumes.week_start = boundaries.week_start
        and boundary_volumes.service = boundaries.service
        and boundary_volumes.direction = boundaries.direction
        and boundary_volumes.magnitude = boundaries.magnitude
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
from top_volumes
