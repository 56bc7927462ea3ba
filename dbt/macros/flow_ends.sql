{#
  The ends of a flow that count: ['IN'] when only its source is a subscriber's, ['OUT']
  when only its destination is, both when both are, and ['IN'] when neither is (the flow
  is kept once, as unattributed). Unnested, it gives one row per end without a join.
#}
{% macro flow_end_list(source_held, destination_held) -%}
    case
        when {{ source_held }} and {{ destination_held }} then {{ list_of(["'IN'", "'OUT'"]) }}
        when {{ destination_held }} then {{ list_of(["'OUT'"]) }}
        else {{ list_of(["'IN'"]) }}
    end
{%- endmacro %}
