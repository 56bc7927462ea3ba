{#
  Figures 3, 4 and 11: probability density of log10(daily bytes) of personal users, per
  service and direction, on bins 1/20 decade wide centred on j/20 for j = 80..220 (the axis
  10^4 to 10^11 bytes; the same bin edges as the mode of usage_summary). The density is
  users in the bin / (users on the axis * 0.05), so it integrates to 1 over the axis; users
  with zero usage or outside the axis are left out of the curve (users_on_axis says how many
  remain).
#}
with users as (
    select
        week_start,
        service,
        direction,
        round(20 * log10(daily_bytes))::integer as bin
    from {{ ref('int_personal_daily_usage') }}
    where daily_bytes > 0
),

on_axis as (
    select * from users where bin between 80 and 220
),

bin_counts as (
    select week_start, service, direction, bin, count(*) as users
    from on_axis
    group by all
),

curves as (
    select week_start, service, direction, count(*) as users_on_axis
    from on_axis
    group by all
),

bins as (
    select
        curves.week_start,
        curves.service,
        curves.direction,
        curves.users_on_axis,
        axis.bin
    from curves
    cross join range(80, 221) as axis (bin)
)

select
    bins.week_start,
    bins.service,
    bins.direction,
    bins.bin,
    bins.bin / 20.0 as log10_bytes,
    (bins.bin - 0.5) / 20.0 as log10_bytes_low,
    (bins.bin + 0.5) / 20.0 as log10_bytes_high,
    coalesce(bin_counts.users, 0) as users,
    bins.users_on_axis,
    coalesce(bin_counts.users, 0)::double / (bins.users_on_axis * 0.05) as density
from bins
left join bin_counts using (week_start, service, direction, bin)
