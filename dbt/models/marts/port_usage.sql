{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='week_start',
        tags=['weekly'],
    )
}}
-- Share of the week's bytes by protocol and the port that names the flow, per service.
-- Broadband counts PPPoE flows only (IPoE has no flow detail); enterprise is included.
with port_flows as (
    select week_start, service, protocol_name, flow_port, bytes
    from {{ ref('int_flows_attributed') }}
    where direction in ('IN', 'OUT')
        and access in ('pppoe', 'mobile')
),

port_bytes as (
    select week_start, service, protocol_name, flow_port, sum(bytes) as bytes
    from port_flows
    group by all
)

select
    week_start,
    service,
    protocol_name,
    flow_port,
    bytes,
    100.0 * bytes / sum(bytes) over (partition by week_start, service) as share_pct
from port_bytes
