"""The engines the dbt models run on: the raw week handed to Spark as Parquet, and Spark's
model tables read back into the DuckDB warehouse that checks, figures and pages read."""
