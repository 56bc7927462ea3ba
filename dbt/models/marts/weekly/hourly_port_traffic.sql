{#
  Figures 7 and 8: traffic of every local hour of the week for the buckets TCP 443, TCP 80,
  TCP >= 1024, UDP 443 and total, normalised so that the fullest hour of the total is 1.
  Same traffic as port_usage (flows with port detail, both directions). A flow counts in
  the hour it starts.
#}
with scoped_traffic as (
    select *
    from {{ ref('int_traffic_hourly') }}
    where week_start = {{ analysis_week_start() }}
        and {{ in_flow_detail_scope() }}
),

buckets as (
    select * from (values
        (1, 'TCP 443'),
        (2, 'TCP 80'),
        (3, 'TCP >= 1024'),
        (4, 'UDP 443'),
        (5, 'total')
    ) as buckets (bucket_order, bucket)
),

bucketed as (
    select
        scoped_traffic.service,
        scoped_traffic.hour_start,
        buckets.bucket,
        sum(scoped_traffic.bytes) as bytes
    from scoped_traffic
    join buckets
        on buckets.bucket = 'total'
        or (buckets.bucket = 'TCP 443' and protocol_name = 'TCP' and port = 443)
        or (buckets.bucket = 'TCP 80' and protocol_name = 'TCP' and port = 80)
        or (buckets.bucket = 'TCP >= 1024' and protocol_name = 'TCP' and port_range = 'high')
        or (buckets.bucket = 'UDP 443' and protocol_name = 'UDP' and port = 443)
    group by all
),

hours as (
    select
        hour_of_week,
        {{ analysis_week_start() }}::timestamp + to_hours(hour_of_week) as hour_start
    from range(0, 168) as hours (hour_of_week)
),

spine as (
    select services.service, hours.hour_of_week, hours.hour_start, buckets.bucket_order,
        buckets.bucket
    from (select distinct service from scoped_traffic) as services
    cross join hours
    cross join buckets
),

filled as (
    select
        spine.*,
        coalesce(bucketed.bytes, 0) as bytes
    from spine
    left join bucketed using (service, hour_start, bucket)
)

select
    {{ analysis_week_start() }} as week_start,
    service,
    hour_start,
    hour_of_week,
    bucket_order,
    bucket,
    bytes::hugeint as bytes,
    bytes / nullif(max(bytes) filter (where bucket = 'total') over (partition by service), 0)
        as traffic
from filled
