{#
  The analysis week [week_start, week_end) as local dates, and the analysis time zone: the
  environment's TRAFFICREPORT_WEEK (the week's Monday; Dagster sets it per partition) and
  TRAFFICREPORT_TZ, read when a node runs. Neither vars nor a read while dbt parses the
  project: dbt parses every file again when its vars change, and again each file that read
  an environment variable when that changes, on every build of a new week. Nothing the
  parse keeps (refs, configs) depends on the week; test configs, which dbt renders while
  parsing, must not name it (macros/week_tests.sql).
#}
{% macro analysis_week() -%}
    {{ return(environment_when_running('TRAFFICREPORT_WEEK', '2024-06-03')) }}
{%- endmacro %}

{% macro analysis_week_start() -%}
    '{{ analysis_week() }}'::date
{%- endmacro %}

{% macro analysis_week_end() -%}
    {%- set monday = modules.datetime.date.fromisoformat(analysis_week()) -%}
    '{{ (monday + modules.datetime.timedelta(days=7)).isoformat() }}'::date
{%- endmacro %}

{% macro analysis_timezone() -%}
    {{ return(environment_when_running('TRAFFICREPORT_TZ', 'Asia/Tokyo')) }}
{%- endmacro %}

{# The environment variable when a node runs, its default while dbt parses (nothing read). #}
{% macro environment_when_running(name, default) -%}
    {{ return(env_var(name, default) if execute else default) }}
{%- endmacro %}

{#
  Pre-hook of the weekly incremental models: remove the analysis week before inserting it,
  inside the model's transaction, so re-materializing a week replaces exactly that week
  (also when its new result is empty) and leaves every other week alone.
#}
{% macro delete_analysis_week() -%}
    {{ return(adapter.dispatch('delete_analysis_week')()) }}
{%- endmacro %}

{% macro default__delete_analysis_week() -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing is not none and existing.is_table -%}
        delete from {{ this }} where week_start = {{ analysis_week_start() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{# The report years and the week each compares: the comparison rows of the seed reference_weeks. #}
{% macro comparison_weeks() -%}
    select report_year, week_start
    from {{ ref('reference_weeks') }}
    where role = 'comparison'
{%- endmacro %}

{# Spark's weekly tables are partitioned by week: the week's partition goes. #}
{% macro spark__delete_analysis_week() -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing is not none -%}
        alter table {{ this }} drop if exists partition (week_start = '{{ analysis_week() }}')
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
