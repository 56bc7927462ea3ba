-- Tables 1 and 2 across years: each report year's comparison week from usage_summary.
with comparison_weeks as (
    {{ comparison_weeks() }}
)

select
    comparison_weeks.report_year,
    usage_summary.week_start,
    usage_summary.service,
    usage_summary.direction,
    usage_summary.users,
    usage_summary.mean_mb,
    usage_summary.median_mb,
    usage_summary.mode_bin,
    usage_summary.mode_mb
from comparison_weeks
join {{ ref('usage_summary') }} as usage_summary using (week_start)
