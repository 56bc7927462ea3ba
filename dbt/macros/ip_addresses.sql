{#
  Address text -> 128-bit unsigned integer, without the inet extension.

  IPv4 dotted quads become their 32-bit value. IPv6 text (with or without `::`
  compression) is expanded to its fixed-width form of 32 hex digits (8 groups of 4) and
  read as one 128-bit number. Text must already be lower-case and trimmed (staging does
  that). Malformed text gives null, so the flow stays unattributed and visible instead of
  failing the week. IPv4-mapped IPv6 text (`::ffff:192.0.2.1`) and zone ids give null.
#}

{% macro address_family(address) -%}
    case when contains({{ address }}, ':') then 'ipv6' else 'ipv4' end
{%- endmacro %}

{% macro address_width(family) -%}
    case {{ family }} when 'ipv6' then 128 else 32 end
{%- endmacro %}

{% macro ipv4_to_int(address) -%}
    case when length({{ address }}) - length(replace({{ address }}, '.', '')) = 3 then
        {%- for octet in range(4) %}
        (try_cast(split_part({{ address }}, '.', {{ octet + 1 }}) as utinyint)::uhugeint
            << {{ 24 - 8 * octet }}){% if not loop.last %} +{% endif %}
        {%- endfor %}
    end
{%- endmacro %}

{% macro ipv6_groups(part) -%}
    case when {{ part }} = '' then []::varchar[] else string_split({{ part }}, ':') end
{%- endmacro %}

{# The 8 groups of an IPv6 address, each padded to 4 hex digits (null if a group is bad). #}
{% macro ipv6_hextets(address) -%}
    {%- set head = ipv6_groups("split_part(" ~ address ~ ", '::', 1)") -%}
    {%- set tail = ipv6_groups("split_part(" ~ address ~ ", '::', 2)") -%}
    list_transform(
        case
            when contains({{ address }}, '::') then list_concat(
                {{ head }},
                list_resize([]::varchar[], greatest(0, 8 - len({{ head }}) - len({{ tail }})), '0'),
                {{ tail }}
            )
            else string_split({{ address }}, ':')
        end,
        lambda hextet: case
            when regexp_full_match(hextet, '[0-9a-f]{1,4}') then lpad(hextet, 4, '0')
        end
    )
{%- endmacro %}

{% macro ipv6_to_int(address) -%}
    {%- set hextets = ipv6_hextets(address) -%}
    case
        -- at most one '::', exactly 8 well-formed groups
        when length({{ address }}) - length(replace({{ address }}, '::', '')) <= 2
            and len(list_filter({{ hextets }}, lambda h: h is not null)) = 8
        then ('0x' || array_to_string({{ hextets }}, ''))::uhugeint
    end
{%- endmacro %}

{% macro ip_to_int(address) -%}
    case
        when contains({{ address }}, ':') then {{ ipv6_to_int(address) }}
        else {{ ipv4_to_int(address) }}
    end
{%- endmacro %}
