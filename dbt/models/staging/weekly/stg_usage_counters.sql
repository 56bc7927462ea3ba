-- Per-subscriber daily volumes of the analysis week (mobile billing, IPoE counters).
select
    week_start,
    subscriber_id,
    service,
    access,
    customer_class,
    day,
    bytes_in,
    bytes_out,
    source_file
from {{ source('raw', 'usage_counters') }}
where week_start = {{ analysis_week_start() }}
