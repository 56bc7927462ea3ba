{#
  Address text -> 128-bit unsigned integer, without the inet extension.

  `select_with_address_int(relation, column)` returns a select of every column of
  `relation` plus `address_family` ('ipv4'/'ipv6') and `address_int` (uhugeint): IPv4
  dotted quads become their 32-bit value; IPv6 text (any case, with or without `::`
  compression) is expanded to its fixed-width form of 8 groups of 16 bits and read as one
  128-bit number. Malformed text gives a null address_int, so a flow stays unattributed
  (and counted) instead of failing the week. IPv4-mapped IPv6 text (`::ffff:192.0.2.1`)
  and zone ids are not supported and give null.

  The steps are nested selects so each intermediate text is computed once per row (as one
  expression, the expansion would be repeated in every group's term). Callers apply it to
  distinct addresses, not to every flow.
#}

{% macro colons(text) -%}
    (length({{ text }}) - length(replace({{ text }}, ':', '')))
{%- endmacro %}

{#
  IPv6: `::` becomes as many `0:` groups as are missing, so the text has 8 groups.
  Groups written = colons + 1 once colons at either end are trimmed, minus 1 when a `::`
  is left inside.
#}
{% macro ipv6_expanded(address) -%}
    {%- set inner = "trim(" ~ address ~ ", ':')" -%}
    case
        when {{ address }} = '::' then '0:0:0:0:0:0:0:0'
        when contains({{ address }}, '::') then trim(replace(
            {{ address }},
            '::',
            ':' || repeat('0:', 8 - ({{ colons(inner) }} + 1 - contains({{ inner }}, '::')::integer))
        ), ':')
        else {{ address }}
    end
{%- endmacro %}

{% macro address_width(family) -%}
    case {{ family }} when 'ipv6' then 128 else 32 end
{%- endmacro %}

{% macro select_with_address_int(relation, column) -%}
    select
        * exclude (address_text, expanded_text, address_parts),
        case
            when address_family = 'ipv6' and len(address_parts) = 8
                -- at most one '::'
                and length(address_text) - length(replace(address_text, '::', '')) <= 2
            then
            {%- for group in range(8) %}
                (try_cast('0x' || address_parts[{{ group + 1 }}] as usmallint)::uhugeint
                    << {{ 112 - 16 * group }}){% if not loop.last %} +{% endif %}
            {%- endfor %}
            when address_family = 'ipv4' and len(address_parts) = 4
            then
            {%- for octet in range(4) %}
                (try_cast(address_parts[{{ octet + 1 }}] as utinyint)::uhugeint
                    << {{ 24 - 8 * octet }}){% if not loop.last %} +{% endif %}
            {%- endfor %}
        end as address_int
    from (
        select
            *,
            string_split(expanded_text, case address_family when 'ipv6' then ':' else '.' end)
                as address_parts
        from (
            select
                *,
                case address_family
                    when 'ipv6' then {{ ipv6_expanded('address_text') }}
                    else address_text
                end as expanded_text
            from (
                select
                    *,
                    case when contains(address_text, ':') then 'ipv6' else 'ipv4' end
                        as address_family
                from (
                    select *, lower(trim({{ column }})) as address_text
                    from {{ relation }}
                )
            )
        )
    )
{%- endmacro %}
