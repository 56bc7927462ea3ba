{#
  The raw layer as each engine reads it. DuckDB reads the raw tables the load wrote into its
  warehouse. Spark reads the same rows as Parquet, which the dbt step writes before a Spark
  build (dagster_project/engines/raw_parquet.py): the week's rows under
  <spark dir>/raw/<table>/week_start=<date>/, the monthly totals under
  <spark dir>/raw/monthly_totals/. At the start of the run each written folder is declared as
  raw.<table> with its week folders as partitions, so the models' source('raw', ...) names
  the same table on both engines. The var spark_raw_tables lists the folders written.
#}
{% macro spark_dir() -%}
    {{ env_var('TRAFFICREPORT_SPARK_DIR', env_var('TRAFFICREPORT_DATA_DIR', '../data') ~ '/spark') }}
{%- endmacro %}

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
            ~ spark_dir() ~ '/raw/' ~ table ~ "'"
        ) -%}
        {%- if table != 'monthly_totals' -%}
            {%- do run_query('alter table raw.' ~ table ~ ' recover partitions') -%}
        {%- endif -%}
    {%- endfor -%}
    select 1
{%- endmacro %}

{#
  End of a Spark build of a week: the week's address matches go (int_address_holders keeps
  addresses; the attributed flows do not). Spark rebuilds them from the raw week on every
  build, so nothing there keeps an address past the run.
#}
{% macro drop_address_matches() -%}
    {{ return(adapter.dispatch('drop_address_matches')()) }}
{%- endmacro %}

{% macro default__drop_address_matches() -%}
    select 1
{%- endmacro %}

{% macro spark__drop_address_matches() -%}
    {%- set holders = adapter.get_relation(target.database, target.schema, 'int_address_holders') -%}
    {%- if holders is not none and 'flows' in var('spark_raw_tables', []) -%}
        alter table {{ holders }} drop if exists partition (week_start = '{{ var("week_start") }}')
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
