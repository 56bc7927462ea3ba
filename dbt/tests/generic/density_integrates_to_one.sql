{# Each curve (week, service, direction) of a density model integrates to 1 over its bins. #}
{% test density_integrates_to_one(model, column_name, bin_width) %}
    select week_start, service, direction, sum({{ column_name }}) * {{ bin_width }} as integral
    from {{ model }}
    group by week_start, service, direction
    having abs(sum({{ column_name }}) * {{ bin_width }} - 1) > 1e-9
{% endtest %}
