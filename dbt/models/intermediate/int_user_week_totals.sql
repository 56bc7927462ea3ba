-- Each user's total of the week. A user is one subscription on one access: PPPoE volumes
-- come from the attributed flows, IPoE and mobile volumes from the usage counters (IPoE has
-- no flow detail; mobile usage is billed per phone number). A subscriber on both PPPoE and
-- IPoE is therefore two users.
with pppoe_users as (
    select
        week_start,
        service,
        access,
        customer_class,
        subscriber_id,
        bytes_in,
        bytes_out,
        'flows' as usage_source
    from {{ ref('int_subscriber_flow_usage') }}
    where week_start = {{ analysis_week_start() }}
        and access = 'pppoe'
),

counter_users as (
    select
        week_start,
        service,
        access,
        customer_class,
        subscriber_id,
        sum(bytes_in) as bytes_in,
        sum(bytes_out) as bytes_out,
        'counters' as usage_source
    from {{ ref('stg_usage_counters') }}
    where access in ('ipoe', 'mobile')
    group by week_start, service, access, customer_class, subscriber_id
)

select * from pppoe_users
union all
select * from counter_users
