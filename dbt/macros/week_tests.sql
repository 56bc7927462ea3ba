{#
  The data tests of a weekly table read its analysis week only.

  dbt hands every generic test its model through `get_where_subquery`; this project's
  version adds the analysis week to the test's own `where` when the tested model is a weekly
  incremental table (tag `weekly`, one week replaced per run). Without it each week's build
  tested every week stored so far: its tests grew with the warehouse's history (a
  uniqueness test over a year of weekly users is a sort of hundreds of millions of rows),
  and a week's verdict would also judge the weeks before it. Each week is tested when it is
  built, and its verdicts are kept per week.

  The week is known only when the test runs (macros/analysis_week.sql), never in a config:
  dbt renders configs when it parses the project. Views (staging) read their week already;
  seeds and cross-week tables are tested whole.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set conditions = ['(' ~ where ~ ')'] if where else [] -%}
    {%- if tests_a_weekly_table() -%}
        {%- do conditions.append('week_start = ' ~ analysis_week_start()) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{# Whether the test being run is attached to a weekly incremental table. #}
{% macro tests_a_weekly_table() -%}
    {%- if not execute or not model.attached_node -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- do return(
        tested is not none
        and 'weekly' in tested.tags
        and tested.config.materialized == 'incremental'
    ) -%}
{%- endmacro %}
