-- Each flow attributed to the subscriber that held its source (IN) or destination (OUT)
-- address at the flow's start. Flows that match no assignment are kept as 'unattributed'.
with flows as (
    select * from {{ ref('stg_flows') }}
),

assignments as (
    select * from {{ ref('stg_assignments') }}
),

attributed as (
    select
        flows.*,
        coalesce(source_holder.subscriber_id, destination_holder.subscriber_id) as subscriber_id,
        coalesce(source_holder.access, destination_holder.access) as access,
        coalesce(source_holder.customer_class, destination_holder.customer_class)
            as customer_class,
        case
            when source_holder.subscriber_id is not null then 'IN'
            when destination_holder.subscriber_id is not null then 'OUT'
            else 'unattributed'
        end as direction
    from flows
    left join assignments as source_holder
        on flows.src_addr = source_holder.address
        and flows.flow_start_utc >= source_holder.valid_from
        and flows.flow_start_utc < source_holder.valid_to
    left join assignments as destination_holder
        on flows.dst_addr = destination_holder.address
        and flows.flow_start_utc >= destination_holder.valid_from
        and flows.flow_start_utc < destination_holder.valid_to
)

select * from attributed
