{# The protocol rows (level 0) of a week and service share all its bytes: they sum to 100. #}
{% test protocol_shares_sum_to_100(model, column_name) %}
    select week_start, service, sum({{ column_name }}) as total_share
    from {{ model }}
    where level = 0
    group by week_start, service
    having abs(sum({{ column_name }}) - 100) > 1e-6
{% endtest %}
