-- Monthly interface-counter totals per service, access and direction, all months.
select
    month,
    service,
    access,
    upper(direction) as direction,
    bytes::hugeint as bytes,
    source_file
from {{ source('raw', 'monthly_totals') }}
