{#
  Growth of monthly traffic per service and direction (service totals): for every month,
  the growth factor over the same month 1 year and 5 years earlier, with the annual rate
  (factor ^ (1 / years)). The report reads June 2024 over June 2023 (year on year) and over
  June 2019 (five years).
#}
with service_months as (
    select month, service, direction, bits_per_second
    from {{ ref('monthly_traffic') }}
    where access = 'all'
),

spans as (
    select * from (values (1), (5)) as spans (years)
)

select
    later.service,
    later.direction,
    spans.years,
    earlier.month as from_month,
    later.month as to_month,
    earlier.bits_per_second as from_bits_per_second,
    later.bits_per_second as to_bits_per_second,
    later.bits_per_second / earlier.bits_per_second as growth_factor,
    power(later.bits_per_second / earlier.bits_per_second, 1 / spans.years::double) as annual_factor
from service_months as later
cross join spans
join service_months as earlier
    on earlier.service = later.service
    and earlier.direction = later.direction
    and earlier.month = {{ subtract_years('later.month', 'spans.years::integer') }}
where earlier.bits_per_second > 0
