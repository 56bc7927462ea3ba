{#
  The rows of Tables 3 and 4 are the seed port_table_rows (seeds/_seeds.yml); port_usage,
  hourly_port_traffic and int_traffic_hourly join it.

  Traffic with per-flow (port) detail: flows attributed to a PPPoE or mobile subscriber.
  IPoE has no flow detail and unattributed traffic has no subscriber; enterprise counts.
#}
{% macro in_flow_detail_scope() -%}
    direction in ('IN', 'OUT') and access in ('pppoe', 'mobile')
{%- endmacro %}
