{#
  The rows of Tables 3 and 4 (usage by protocol and port), in table order.
  level 0 = protocol, 1 = port range or a UDP port, 2 = a TCP port inside its range.
  port_range 'low' = ports below 1024, 'high' = 1024 and up (of the port naming the flow).
#}
{% macro port_table_rows() %}
    {{ return([
        {"label": "TCP", "level": 0, "protocol": "TCP", "port_range": none, "port": none},
        {"label": "(< 1024)", "level": 1, "protocol": "TCP", "port_range": "low", "port": none},
        {"label": "443 (https)", "level": 2, "protocol": "TCP", "port_range": none, "port": 443},
        {"label": "80 (http)", "level": 2, "protocol": "TCP", "port_range": none, "port": 80},
        {"label": "183", "level": 2, "protocol": "TCP", "port_range": none, "port": 183},
        {"label": "993 (imaps)", "level": 2, "protocol": "TCP", "port_range": none, "port": 993},
        {"label": "22 (ssh)", "level": 2, "protocol": "TCP", "port_range": none, "port": 22},
        {"label": "(>= 1024)", "level": 1, "protocol": "TCP", "port_range": "high", "port": none},
        {"label": "31000", "level": 2, "protocol": "TCP", "port_range": none, "port": 31000},
        {"label": "1935 (rtmp)", "level": 2, "protocol": "TCP", "port_range": none, "port": 1935},
        {"label": "8080", "level": 2, "protocol": "TCP", "port_range": none, "port": 8080},
        {"label": "UDP", "level": 0, "protocol": "UDP", "port_range": none, "port": none},
        {"label": "443 (https)", "level": 1, "protocol": "UDP", "port_range": none, "port": 443},
        {"label": "4500 (nat-t)", "level": 1, "protocol": "UDP", "port_range": none, "port": 4500},
        {"label": "8801", "level": 1, "protocol": "UDP", "port_range": none, "port": 8801},
        {"label": "51820", "level": 1, "protocol": "UDP", "port_range": none, "port": 51820},
        {"label": "53 (dns)", "level": 1, "protocol": "UDP", "port_range": none, "port": 53},
        {"label": "ESP", "level": 0, "protocol": "ESP", "port_range": none, "port": none},
        {"label": "GRE", "level": 0, "protocol": "GRE", "port_range": none, "port": none},
        {"label": "IP-ENCAP", "level": 0, "protocol": "IP-ENCAP", "port_range": none, "port": none},
        {"label": "ICMP", "level": 0, "protocol": "ICMP", "port_range": none, "port": none},
        {"label": "other", "level": 0, "protocol": "other", "port_range": none, "port": none},
    ]) }}
{% endmacro %}

{% macro sql_literal(value) -%}
    {%- if value is none -%} null
    {%- elif value is number -%} {{ value }}
    {%- else -%} '{{ value }}'
    {%- endif -%}
{%- endmacro %}

{# The table rows as a relation: row_order, label, level, protocol_name, port_range, port. #}
{% macro port_table_rows_relation() -%}
    select * from (values
    {%- for row in port_table_rows() %}
        ({{ loop.index }}, '{{ row.label }}', {{ row.level }}, '{{ row.protocol }}',
            {{ sql_literal(row.port_range) }}::varchar, {{ sql_literal(row.port) }}::integer)
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
    ) as port_table_rows (row_order, label, level, protocol_name, port_range, port)
{%- endmacro %}

{# Ports with a row of their own; the hourly aggregate keeps these and buckets the rest. #}
{% macro named_ports() -%}
    {%- set ports = [] -%}
    {%- for row in port_table_rows() if row.port is not none and row.port not in ports -%}
        {%- do ports.append(row.port) -%}
    {%- endfor -%}
    ({{ ports | join(", ") }})
{%- endmacro %}

{#
  Traffic with per-flow (port) detail: flows attributed to a PPPoE or mobile subscriber.
  IPoE has no flow detail and unattributed traffic has no subscriber; enterprise counts.
#}
{% macro in_flow_detail_scope() -%}
    direction in ('IN', 'OUT') and access in ('pppoe', 'mobile')
{%- endmacro %}
