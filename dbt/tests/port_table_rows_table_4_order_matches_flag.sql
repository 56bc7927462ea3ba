-- A row has a position in Table 4 exactly when Table 4 shows it.
select row_order, label, in_table_4, table_4_order
from {{ ref('port_table_rows') }}
where in_table_4 <> (table_4_order is not null)
