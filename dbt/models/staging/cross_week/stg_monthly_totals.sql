-- Monthly interface-counter totals per service, access and direction, all months.
select
    month,
    service,
    access,
    upper(direction) as direction,
    bytes::{{ exact_integer() }} as bytes,
    source_file
from {{ source('raw', 'monthly_totals') }}
