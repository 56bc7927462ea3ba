-- Not in the published report: the IPv6 share over time, ipv6_share of every week in the
-- warehouse, oldest week first.
select
    week_start,
    service,
    direction,
    ipv4_bytes,
    ipv6_bytes,
    total_bytes,
    ipv6_share_pct
from {{ ref('ipv6_share') }}
order by week_start, service, direction
