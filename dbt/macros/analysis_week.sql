{# Local date -> timestamp in the analysis time zone, and naive UTC -> local wall time. #}
{% macro to_local_time(utc_timestamp) -%}
    timezone('{{ var("analysis_timezone") }}', timezone('UTC', {{ utc_timestamp }}))
{%- endmacro %}

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
