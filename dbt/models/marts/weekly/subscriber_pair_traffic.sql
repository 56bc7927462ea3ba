{#
  How much of the week's port-table bytes went between two subscribers, per service. Such a
  flow is one subscriber's upload and the other's download, so per-line accounting counts it
  once for each line: in week_port_shares and here it is in twice, once per end.
#}
with service_bytes as (
    select
        week_start,
        service,
        sum(between_subscribers_bytes) as bytes,
        sum(bytes) as total_bytes
    from {{ ref('week_port_shares') }}
    where week_start = {{ analysis_week_start() }}
    group by all
)

select
    week_start,
    service,
    bytes::{{ exact_integer() }} as bytes,
    total_bytes::{{ exact_integer() }} as total_bytes,
    100 * bytes::double / nullif(total_bytes, 0) as share_pct
from service_bytes
