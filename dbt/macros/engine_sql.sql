{#
  SQL that DuckDB and Spark write differently, so that one model text runs on both engines:
  each macro dispatches (adapter.dispatch) to the engine's form. Spark runs with
  spark.sql.timestampType=TIMESTAMP_NTZ and the session time zone UTC (dbt/profiles.yml), so
  `timestamp` means the naive UTC timestamps of the raw layer on both engines.
#}

{# Sums of bytes: exact beyond 64 bits (a five-year total of a large ISP). #}
{% macro exact_integer() -%}
    {{ return(adapter.dispatch('exact_integer')()) }}
{%- endmacro %}

{% macro default__exact_integer() -%}
    hugeint
{%- endmacro %}

{% macro spark__exact_integer() -%}
    decimal(38, 0)
{%- endmacro %}

{# Naive UTC -> wall time in the analysis time zone. #}
{% macro to_local_time(utc_timestamp) -%}
    {{ return(adapter.dispatch('to_local_time')(utc_timestamp)) }}
{%- endmacro %}

{% macro default__to_local_time(utc_timestamp) -%}
    timezone('{{ var("analysis_timezone") }}', timezone('UTC', {{ utc_timestamp }}))
{%- endmacro %}

{% macro spark__to_local_time(utc_timestamp) -%}
    cast(from_utc_timestamp({{ utc_timestamp }}, '{{ var("analysis_timezone") }}') as timestamp)
{%- endmacro %}

{# ISO day of the week: Monday 1 ... Sunday 7. #}
{% macro iso_day_of_week(value) -%}
    {{ return(adapter.dispatch('iso_day_of_week')(value)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(value) -%}
    isodow({{ value }})
{%- endmacro %}

{% macro spark__iso_day_of_week(value) -%}
    (weekday({{ value }}) + 1)
{%- endmacro %}

{% macro add_hours(value, hours) -%}
    {{ return(adapter.dispatch('add_hours')(value, hours)) }}
{%- endmacro %}

{% macro default__add_hours(value, hours) -%}
    ({{ value }} + to_hours({{ hours }}))
{%- endmacro %}

{% macro spark__add_hours(value, hours) -%}
    ({{ value }} + make_dt_interval(0, {{ hours }}))
{%- endmacro %}

{% macro subtract_years(value, years) -%}
    {{ return(adapter.dispatch('subtract_years')(value, years)) }}
{%- endmacro %}

{% macro default__subtract_years(value, years) -%}
    ({{ value }} - to_years({{ years }}))
{%- endmacro %}

{% macro spark__subtract_years(value, years) -%}
    add_months({{ value }}, -12 * ({{ years }}))
{%- endmacro %}

{# A list of SQL values, e.g. list_of(["'IN'", "'OUT'"]). #}
{% macro list_of(items) -%}
    {{ return(adapter.dispatch('list_of')(items)) }}
{%- endmacro %}

{% macro default__list_of(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}

{% macro spark__list_of(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}

{# The integers start, start + 1, ..., stop - 1 as a list. #}
{% macro integer_list(start, stop) -%}
    {{ return(adapter.dispatch('integer_list')(start, stop)) }}
{%- endmacro %}

{% macro default__integer_list(start, stop) -%}
    range({{ start }}, {{ stop }})
{%- endmacro %}

{% macro spark__integer_list(start, stop) -%}
    sequence({{ start }}, ({{ stop }}) - 1)
{%- endmacro %}

{# One row per element of a list (in a select list). #}
{% macro unnest_list(list) -%}
    {{ return(adapter.dispatch('unnest_list')(list)) }}
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}
