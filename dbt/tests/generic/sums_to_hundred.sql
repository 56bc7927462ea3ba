{#
  Shares (%) that together cover the whole: the column sums to 100 (within `tolerance`) in
  every group of `group_by`.
#}
{% test sums_to_hundred(model, column_name, group_by, tolerance=0.000001) %}
    select {{ group_by | join(", ") }}, sum({{ column_name }}) as total_pct
    from {{ model }}
    group by {{ group_by | join(", ") }}
    having abs(sum({{ column_name }}) - 100) > {{ tolerance }}
{% endtest %}
