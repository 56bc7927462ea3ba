{% test day_in_analysis_week(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < {{ analysis_week_start() }}
        or {{ column_name }} >= {{ analysis_week_end() }}
{% endtest %}
