{#
  Figures 2, 9 and 10: average traffic per local hour of day over Monday-Friday of the
  week, per service and direction (flows with port detail: PPPoE for broadband, mobile for
  mobile; the IPoE counters are daily and carry no hours). An hour without traffic on one of
  the five days counts as 0 in the average.
#}
with weekday_traffic as (
    select
        service,
        direction,
        hour(hour_start) as hour_of_day,
        sum(bytes) as bytes
    from {{ ref('int_traffic_hourly') }}
    where week_start = {{ analysis_week_start() }}
        and {{ in_flow_detail_scope() }}
        and {{ iso_day_of_week('hour_start') }} between 1 and 5
        and hour_start >= {{ analysis_week_start() }}
        and hour_start < {{ analysis_week_end() }}
    group by all
),

spine as (
    select services.service, directions.direction, hours.hour_of_day
    from (
        select distinct service
        from {{ ref('int_traffic_hourly') }}
        where week_start = {{ analysis_week_start() }} and {{ in_flow_detail_scope() }}
    ) as services
    cross join (values ('IN'), ('OUT')) as directions (direction)
    cross join range(0, 24) as hours (hour_of_day)
)

select
    {{ analysis_week_start() }} as week_start,
    spine.service,
    spine.direction,
    spine.hour_of_day,
    coalesce(weekday_traffic.bytes, 0)::double / 5 as bytes_per_hour,
    coalesce(weekday_traffic.bytes, 0)::double / 5 * 8 / 3600 as bits_per_second
from spine
left join weekday_traffic using (service, direction, hour_of_day)
