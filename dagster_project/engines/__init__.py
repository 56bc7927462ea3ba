"""The engines the dbt models run on: Spark's model tables read back into the DuckDB
warehouse that checks, figures and pages read (both engines read the raw lake directly), and
the folders dbt leaves behind each build."""
