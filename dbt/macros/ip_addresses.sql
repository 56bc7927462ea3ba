{#
  Addresses arrive as numbers (the load parses them once, sources/address_numbers.py): one
  128-bit number per address, IPv4 as its IPv4-mapped form ::ffff:a.b.c.d, stored as two
  signed 64-bit halves `<name>_hi` and `<name>_lo`. A prefix of `n` bits (IPv4 /p is
  n = 96 + p) is the number's top `n` bits: `network_key_hi` and `network_key_lo` below.
  Arithmetic shifts keep the keys exact on signed halves (two numbers share their top bits
  exactly when the shifted halves are equal), and no shift is by 64 or more.
#}

{% macro shift_right(value, bits) -%}
    {{ return(adapter.dispatch('shift_right')(value, bits)) }}
{%- endmacro %}

{% macro default__shift_right(value, bits) -%}
    ({{ value }} >> ({{ bits }}))
{%- endmacro %}

{% macro is_ipv4(hi, lo) -%}
    ({{ hi }} = 0 and {{ shift_right(lo, 32) }} = 65535)
{%- endmacro %}

{% macro address_family(hi, lo) -%}
    case when {{ is_ipv4(hi, lo) }} then 'ipv4' else 'ipv6' end
{%- endmacro %}

{# IPv4 prefix lengths count in the 128-bit space from the mapped block's 96 bits. #}
{% macro mapped_prefix_len(hi, lo, prefix_len) -%}
    ({{ prefix_len }} + case when {{ is_ipv4(hi, lo) }} then 96 else 0 end)
{%- endmacro %}

{% macro network_key_hi(hi, prefix_len) -%}
    case
        when {{ prefix_len }} <= 64 then {{ shift_right(hi, '64 - ' ~ prefix_len) }}
        else {{ hi }}
    end
{%- endmacro %}

{% macro network_key_lo(lo, prefix_len) -%}
    case
        when {{ prefix_len }} <= 64 then 0
        else {{ shift_right(lo, '128 - ' ~ prefix_len) }}
    end
{%- endmacro %}
