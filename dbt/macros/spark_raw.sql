{#
  The raw layer as each engine reads it: the Parquet the load writes
  (dagster_project/sources/raw_lake.py), <raw dir>/<table>/week_start=<date>/ per week and
  <raw dir>/monthly_totals/. DuckDB's catalogue has views raw.<table> over those files. On
  Spark, at the start of the run each table with files is declared as raw.<table> over the
  same folder, its week folders as partitions, so the models' source('raw', ...) reads the
  same files on both engines. The Dagster dbt step passes the folder (var raw_dir) and the
  tables with files (var spark_raw_tables).
#}
{% macro register_raw_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables')()) }}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for table in var('spark_raw_tables', []) -%}
        {%- do run_query('drop table if exists raw.' ~ table) -%}
        {%- do run_query(
            'create table raw.' ~ table ~ " using parquet location '"
            ~ var('raw_dir') ~ '/' ~ table ~ "'"
        ) -%}
        {%- if table != 'monthly_totals' -%}
            {%- do run_query('alter table raw.' ~ table ~ ' recover partitions') -%}
        {%- endif -%}
    {%- endfor -%}
    select 1
{%- endmacro %}

{#
  End of a Spark build: the address matches go (int_address_holders keeps addresses; the
  attributed flows do not). Spark rebuilds a week's matches from the raw week on every
  build of the week, so nothing there keeps an address past the run.
#}
{% macro drop_address_matches() -%}
    {{ return(adapter.dispatch('drop_address_matches')()) }}
{%- endmacro %}

{% macro default__drop_address_matches() -%}
    select 1
{%- endmacro %}

{% macro spark__drop_address_matches() -%}
    {%- set holders = adapter.get_relation(target.database, target.schema, 'int_address_holders') -%}
    {%- if holders is not none -%}
        truncate table {{ holders }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
