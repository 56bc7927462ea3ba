"""Reading the DuckDB warehouse: connections and the marts behind figures, tables and pages."""
