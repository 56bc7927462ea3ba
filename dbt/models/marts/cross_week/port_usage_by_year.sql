-- Tables 3 and 4 across years: each report year's comparison week from port_usage.
with comparison_weeks as (
    {{ comparison_weeks() }}
)

select
    comparison_weeks.report_year,
    port_usage.week_start,
    port_usage.service,
    port_usage.row_order,
    port_usage.label,
    port_usage.level,
    port_usage.protocol_name,
    port_usage.port_range,
    port_usage.port,
    port_usage.share_pct
from comparison_weeks
join {{ ref('port_usage') }} as port_usage using (week_start)
