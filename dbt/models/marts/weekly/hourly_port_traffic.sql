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

-- Each port bucket is a row of Tables 3/4 (seed port_table_rows), named by its protocol
-- section and label; 'total' is all traffic.
bucket_rows as (
    select * from (values
        (1, 'TCP 443', 'TCP', '443 (https)'),
        (2, 'TCP 80', 'TCP', '80 (http)'),
        (3, 'TCP >= 1024', 'TCP', '(>= 1024)'),
        (4, 'UDP 443', 'UDP', '443 (https)')
    ) as bucket_rows (bucket_order, bucket, protocol_name, label)
),

port_buckets as (
    select
        bucket_rows.bucket_order,
        bucket_rows.bucket,
        table_rows.protocol_name,
        table_rows.port_range,
        table_rows.port
    from bucket_rows
    join {{ ref('port_table_rows') }} as table_rows
        on table_rows.protocol_name = bucket_rows.protocol_name
        and table_rows.label = bucket_rows.label
),

buckets as (
    select * from port_buckets
    union all
    select 5, 'total', null, null, null
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
        or (
            scoped_traffic.protocol_name = buckets.protocol_name
            and (buckets.port_range is null or scoped_traffic.port_range = buckets.port_range)
            and (buckets.port is null or scoped_traffic.port = buckets.port)
        )
    group by all
),

hours as (
    select
        hour_of_week,
        {{ add_hours(analysis_week_start() ~ '::timestamp', 'hour_of_week') }} as hour_start
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
    bytes::{{ exact_integer() }} as bytes,
    bytes::double
        / nullif(max(case when bucket = 'total' then bytes end) over (partition by service), 0)
        as traffic
from filled
