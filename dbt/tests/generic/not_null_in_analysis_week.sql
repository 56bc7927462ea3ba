{#
  The column has a value in every row of the analysis week: for a column added in a later
  release, which the weeks built before it keep null until they are re-run. (The week cannot
  be a `where` config of `not_null`: dbt renders test configs when it parses the project,
  where the build's week is not known.)
#}
{% test not_null_in_analysis_week(model, column_name) %}
    select *
    from {{ model }}
    where week_start = {{ analysis_week_start() }}
        and {{ column_name }} is null
{% endtest %}
