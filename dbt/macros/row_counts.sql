{#
  Post-hook of every model: a stored table's rows (those of the analysis week, for a weekly
  table) written to a file in TRAFFICREPORT_ROW_COUNTS_DIR as soon as the table is built, so
  that the Dagster step can show each table's row count while dbt goes on with the next
  node. The step cannot count them itself before dbt exits: the warehouse has one writer.
  Nothing when no folder is set; a view stores nothing to count.
#}
{% macro record_row_count() -%}
    {%- set folder = environment_when_running('TRAFFICREPORT_ROW_COUNTS_DIR', '') -%}
    {%- if folder and model.config.materialized in ('table', 'incremental') -%}
        {{ return(adapter.dispatch('record_row_count')(folder ~ '/' ~ this.identifier ~ '.json')) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__record_row_count(file) -%}
    copy (
        select count(*) as row_count
        from {{ this }}
        {% if 'weekly' in model.tags -%}
            where week_start = {{ analysis_week_start() }}
        {%- endif %}
    ) to '{{ file | replace("'", "''") }}' (format json)
{%- endmacro %}

{# Spark's tables are counted once they are read back into the warehouse. #}
{% macro spark__record_row_count(file) -%}
{%- endmacro %}
