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

-- The protocols the report names (seed); every other protocol is 'other'.
report_protocols as (
    select protocol, protocol_name
    from {{ ref('report_protocols') }}
)

select
    normalized.*,
    date_trunc('hour', normalized.flow_start_local) as flow_hour_local,
    coalesce(report_protocols.protocol_name, 'other') as protocol_name,
    -- The lower of the two ports names a TCP/UDP flow (server port vs ephemeral client port).
    case
        when normalized.protocol in (6, 17)
        then least(normalized.src_port, normalized.dst_port)
    end as flow_port,
    {{ address_family('normalized.src_addr_hi', 'normalized.src_addr_lo') }} as address_family
from normalized
left join report_protocols on report_protocols.protocol = normalized.protocol
