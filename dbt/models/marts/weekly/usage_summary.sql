{#
  Tables 1 and 2: mean, median and mode of personal users' daily usage in MB (10^6 bytes)
  per service and direction. The mode is the centre of the fullest bin of a histogram of
  log10(MB/day) with bins 1/20 decade wide centred on k/20, i.e. the mode is 10^(k/20) MB.
  Before taking the peak the histogram is smoothed by a centred 3-bin moving average (with
  empty bins counted as 0), which moves a peak that sits off the centre of the distribution
  toward it; ties go to the bin with more users, then to the lower bin.
#}
with users as (
    select * from {{ ref('int_personal_daily_usage') }}
),

stats as (
    select
        week_start,
        service,
        direction,
        count(*) as users,
        count(*) filter (where daily_bytes > 0) as users_with_traffic,
        -- exact integer sum first: the same mean whatever order the rows are added in
        sum(week_bytes) / count(*) / 7 / 1e6 as mean_mb,
        median(daily_bytes) / 1e6 as median_mb
    from users
    group by week_start, service, direction
),

histogram as (
    select
        week_start,
        service,
        direction,
        round(20 * log10(daily_bytes / 1e6))::integer as mode_bin,
        count(*) as users
    from users
    where daily_bytes > 0
    group by all
),

bin_spine as (
    select
        week_start,
        service,
        direction,
        {{ unnest_list(integer_list('min(mode_bin) - 1', 'max(mode_bin) + 2')) }} as mode_bin
    from histogram
    group by week_start, service, direction
),

smoothed as (
    select
        bin_spine.week_start,
        bin_spine.service,
        bin_spine.direction,
        bin_spine.mode_bin,
        coalesce(histogram.users, 0) as users,
        sum(coalesce(histogram.users, 0)) over (
            partition by bin_spine.week_start, bin_spine.service, bin_spine.direction
            order by bin_spine.mode_bin
            rows between 1 preceding and 1 following
        )::double / 3 as smoothed_users
    from bin_spine
    left join histogram using (week_start, service, direction, mode_bin)
),

ranked_bins as (
    select
        week_start,
        service,
        direction,
        mode_bin,
        row_number() over (
            partition by week_start, service, direction
            order by smoothed_users desc, users desc, mode_bin
        ) as peak_rank
    from smoothed
),

peaks as (
    select week_start, service, direction, mode_bin
    from ranked_bins
    where peak_rank = 1
)

select
    stats.week_start,
    stats.service,
    stats.direction,
    stats.users,
    stats.users_with_traffic,
    stats.mean_mb,
    stats.median_mb,
    peaks.mode_bin,
    power(10, peaks.mode_bin / 20.0) as mode_mb
from stats
left join peaks using (week_start, service, direction)
