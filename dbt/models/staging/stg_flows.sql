-- One row per flow record of the analysis week: typed, scaled to the unsampled volume, with
-- the protocol name and the port that names the flow.
with week_flows as (
    select *
    from {{ source('raw', 'flows') }}
    where week_start = '{{ var("week_start") }}'::date
),

scaled as (
    select
        week_start,
        flow_start as flow_start_utc,
        timezone('{{ var("analysis_timezone") }}', timezone('UTC', flow_start)) as flow_start_local,
        src_addr,
        dst_addr,
        src_port,
        dst_port,
        protocol,
        service,
        exporter,
        sampling_interval,
        -- nfdump-style sources report counts already multiplied by N; the rest are sampled.
        case when counts_scaled then bytes else bytes * sampling_interval end as bytes,
        case when counts_scaled then packets else packets * sampling_interval end as packets
    from week_flows
)

select
    *,
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
from scaled
