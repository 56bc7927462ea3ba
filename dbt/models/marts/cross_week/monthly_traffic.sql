{#
  Figure 1: average traffic of each month per service, access and direction, plus the
  service total (access 'all'), normalised so that the service's total OUT of the baseline
  month (var baseline_month, January 2020) is 1. access_share_pct is the access's share of
  its service in that month and direction (e.g. IPoE's share of broadband).
#}
with by_access as (
    select month, service, access, direction, sum(bytes) as bytes
    from {{ ref('stg_monthly_totals') }}
    group by all
),

with_totals as (
    select * from by_access
    union all
    select month, service, 'all' as access, direction, sum(bytes) as bytes
    from by_access
    group by all
),

rates as (
    select
        *,
        -- average rate over the month, so months of different length compare
        bytes::double * 8 / (day(last_day(month)) * 86400) as bits_per_second
    from with_totals
),

baselines as (
    select service, bits_per_second as baseline_bits_per_second
    from rates
    where month = '{{ var("baseline_month") }}'::date
        and access = 'all'
        and direction = 'OUT'
)

select
    rates.month,
    rates.service,
    rates.access,
    rates.direction,
    rates.bytes,
    rates.bits_per_second,
    rates.bits_per_second / baselines.baseline_bits_per_second as normalized_traffic,
    100 * rates.bytes::double / sum(case when rates.access = 'all' then rates.bytes end) over (
        partition by rates.month, rates.service, rates.direction
    ) as access_share_pct
from rates
left join baselines using (service)
