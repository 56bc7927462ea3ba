{# The analysis week [week_start, week_end) as local dates (vars set per Dagster partition). #}
{% macro analysis_week_start() -%}
    '{{ var("week_start") }}'::date
{%- endmacro %}

{% macro analysis_week_end() -%}
    '{{ var("week_end") }}'::date
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
        alter table {{ this }} drop if exists partition (week_start = '{{ var("week_start") }}')
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
