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
        src_addr,
        dst_addr,
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
)

select
    *,
    date_trunc('hour', flow_start_local) as flow_hour_local,
    case protocol
        when 6 then 'TCP'
        when 17 then 'UDP'
        when 50 then 'ESP'
        when 47 then 'GRE'
        when 4 then 'IP-ENCAP'
        when 1 then 'ICMP'
        when 58 then 'ICMP'
        else 'other'
    end as protocol_name,
    -- The lower of the two ports names a TCP/UDP flow (server port vs ephemeral client port).
    case when protocol in (6, 17) then least(src_port, dst_port) end as flow_port,
    case when contains(src_addr, ':') then 'ipv6' else 'ipv4' end as address_family
from normalized
