{#
  Growth of the usage modes (Tables 1-2) between report years, per service and direction:
  every pair of report years, e.g. 2023 -> 2024 (year on year) and 2019 -> 2024 (five years).
#}
with modes as (
    select report_year, service, direction, mode_mb
    from {{ ref('usage_summary_by_year') }}
)

select
    later.service,
    later.direction,
    earlier.report_year as from_year,
    later.report_year as to_year,
    later.report_year - earlier.report_year as years,
    earlier.mode_mb as from_mode_mb,
    later.mode_mb as to_mode_mb,
    later.mode_mb / earlier.mode_mb as growth_factor,
    power(later.mode_mb / earlier.mode_mb, 1 / (later.report_year - earlier.report_year)::double)
        as annual_factor
from modes as later
join modes as earlier
    on earlier.service = later.service
    and earlier.direction = later.direction
    and earlier.report_year < later.report_year
