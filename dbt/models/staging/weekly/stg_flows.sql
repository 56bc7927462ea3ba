-- One row per flow record of the analysis week: typed, scaled to the unsampled volume, in
-- local time, with the protocol name and the port that names the flow.
with week_flows as (
    select *
    from {{ source('raw', 'flows') }}
    where week_start = {{ analysis_week_start() }}
),

normalized as (
    select
        week_start,
        flow_start as flow_start_utc,
        flow_end as flow_end_utc,
        {{ to_local_time('flow_start') }} as flow_start_local,
        src_addr_hi,
        src_addr_lo,
        dst_addr_hi,
        dst_addr_lo,
        src_port,
        dst_port,
        protocol,
        service,
        exporter,
        sampling_interval,
        counts_scaled,
        -- nfdump-style sources report counts already multiplied by N; the rest are sampled.
        case when counts_scaled then bytes else bytes * sampling_interval end as bytes,
        case when counts_scaled then packets else packets * sampling_interval end as packets,
        source_file,
        source_row
    from week_flows
),

-- The local hour of each quarter hour (UTC) from a day before the week to a day after it.
-- Every time zone's offset is a whole number of quarter hours and changes on a quarter hour,
-- so a flow starts in the local hour of its quarter hour: the zone's rules, the costly part
-- of a conversion, are applied to these few hundred instants instead of to every flow.
quarter_hours as (
    select
        date_trunc('hour', quarter_start) as utc_hour,
        minute(quarter_start) as utc_minute,
        date_trunc('hour', {{ to_local_time('quarter_start') }}) as flow_hour_local
    from (
        select
            {{ unnest_list(quarter_hour_list(
                "cast(" ~ analysis_week_start() ~ " - 1 as timestamp)",
                "cast(" ~ analysis_week_end() ~ " + 1 as timestamp)"
            )) }} as quarter_start
    ) as week_quarters
),

-- The protocols the report names (seed); every other protocol is 'other'.
report_protocols as (
    select protocol, protocol_name
    from {{ ref('report_protocols') }}
)

select
    normalized.*,
    -- a flow outside the quarter hours above (a stray record) is converted on its own
    -- (written out here, not flow_start_local: only those flows pay for their conversion)
    coalesce(
        quarter_hours.flow_hour_local,
        date_trunc('hour', {{ to_local_time('normalized.flow_start_utc') }})
    ) as flow_hour_local,
    coalesce(report_protocols.protocol_name, 'other') as protocol_name,
    -- The lower of the two ports names a TCP/UDP flow (server port vs ephemeral client port).
    case
        when normalized.protocol in (6, 17)
        then least(normalized.src_port, normalized.dst_port)
    end as flow_port,
    {{ address_family('normalized.src_addr_hi', 'normalized.src_addr_lo') }} as address_family
from normalized
left join report_protocols on report_protocols.protocol = normalized.protocol
left join quarter_hours
    on quarter_hours.utc_hour = date_trunc('hour', normalized.flow_start_utc)
    and quarter_hours.utc_minute
        = minute(normalized.flow_start_utc) - minute(normalized.flow_start_utc) % 15
