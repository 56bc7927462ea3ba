-- The two addresses of each flow record of the analysis week, as the raw layer holds them:
-- all that matching addresses to their holders needs (int_address_holders), read without
-- the local hour and protocol name that stg_flows joins to every record.
select
    week_start,
    src_addr_hi,
    src_addr_lo,
    dst_addr_hi,
    dst_addr_lo
from {{ source('raw', 'flows') }}
where week_start = {{ analysis_week_start() }}
