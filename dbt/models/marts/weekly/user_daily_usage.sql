-- Every user of the week with the week's volumes and the daily usage (week total / 7), all
-- customer classes; per-user statistics take the personal rows (int_personal_daily_usage).
select
    week_start,
    service,
    access,
    customer_class,
    subscriber_id,
    usage_source,
    bytes_in::{{ exact_integer() }} as bytes_in_week,
    bytes_out::{{ exact_integer() }} as bytes_out_week,
    bytes_in::double / 7 as daily_bytes_in,
    bytes_out::double / 7 as daily_bytes_out
from {{ ref('int_user_week_totals') }}
where week_start = {{ analysis_week_start() }}
