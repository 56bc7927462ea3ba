{#
  SQL that DuckDB and Spark write differently, so that one model text runs on both engines:
  each macro dispatches (adapter.dispatch) to the engine's form. Spark runs with
  spark.sql.timestampType=TIMESTAMP_NTZ and the session time zone UTC (dbt/profiles.yml), so
  `timestamp` means the naive UTC timestamps of the raw layer on both engines.
#}

{# Sums of bytes: exact beyond 64 bits (a five-year total of a large ISP). #}
{% macro exact_integer() -%}
    {{ return(adapter.dispatch('exact_integer')()) }}
{%- endmacro %}

{% macro default__exact_integer() -%}
    hugeint
{%- endmacro %}

{% macro spark__exact_integer() -%}
    decimal(38, 0)
{%- endmacro %}

{#
  A 31-bit hash of the columns' values, 0 to 2^31 - 1: an integer key without a sort
  (int_holders). The first 32 bits of the MD5 of the values' text, joined by '|', cut to 31:
  the same on both engines and in every version of them.
#}
{% macro line_hash(columns) -%}
    cast(
        {{ hex_to_bigint("left(md5(concat_ws('|', " ~ columns | join(', ') ~ ")), 8)") }}
        % 2147483648 as integer
    )
{%- endmacro %}

{# Hexadecimal text (at most 15 digits) as its number. #}
{% macro hex_to_bigint(hex_text) -%}
    {{ return(adapter.dispatch('hex_to_bigint')(hex_text)) }}
{%- endmacro %}

{% macro default__hex_to_bigint(hex_text) -%}
    cast('0x' || {{ hex_text }} as bigint)
{%- endmacro %}

{% macro spark__hex_to_bigint(hex_text) -%}
    cast(conv({{ hex_text }}, 16, 10) as bigint)
{%- endmacro %}

{# Naive UTC -> wall time in the analysis time zone. #}
{% macro to_local_time(utc_timestamp) -%}
    {{ return(adapter.dispatch('to_local_time')(utc_timestamp)) }}
{%- endmacro %}

{% macro default__to_local_time(utc_timestamp) -%}
    timezone('{{ analysis_timezone() }}', timezone('UTC', {{ utc_timestamp }}))
{%- endmacro %}

{% macro spark__to_local_time(utc_timestamp) -%}
    cast(from_utc_timestamp({{ utc_timestamp }}, '{{ analysis_timezone() }}') as timestamp)
{%- endmacro %}

{# The quarter hours from `start` to `stop` (timestamps, both included) as a list. #}
{% macro quarter_hour_list(start, stop) -%}
    {{ return(adapter.dispatch('quarter_hour_list')(start, stop)) }}
{%- endmacro %}

{% macro default__quarter_hour_list(start, stop) -%}
    generate_series({{ start }}, {{ stop }}, interval 15 minute)
{%- endmacro %}

{% macro spark__quarter_hour_list(start, stop) -%}
    sequence({{ start }}, {{ stop }}, interval 15 minutes)
{%- endmacro %}

{# ISO day of the week: Monday 1 ... Sunday 7. #}
{% macro iso_day_of_week(value) -%}
    {{ return(adapter.dispatch('iso_day_of_week')(value)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(value) -%}
    isodow({{ value }})
{%- endmacro %}

{% macro spark__iso_day_of_week(value) -%}
    (weekday({{ value }}) + 1)
{%- endmacro %}

{% macro add_hours(value, hours) -%}
    {{ return(adapter.dispatch('add_hours')(value, hours)) }}
{%- endmacro %}

{% macro default__add_hours(value, hours) -%}
    ({{ value }} + to_hours({{ hours }}))
{%- endmacro %}

{% macro spark__add_hours(value, hours) -%}
    ({{ value }} + make_dt_interval(0, {{ hours }}))
{%- endmacro %}

{% macro subtract_years(value, years) -%}
    {{ return(adapter.dispatch('subtract_years')(value, years)) }}
{%- endmacro %}

{% macro default__subtract_years(value, years) -%}
    ({{ value }} - to_years({{ years }}))
{%- endmacro %}

{% macro spark__subtract_years(value, years) -%}
    add_months({{ value }}, -12 * ({{ years }}))
{%- endmacro %}

{# A list of SQL values, e.g. list_of(["'IN'", "'OUT'"]). #}
{% macro list_of(items) -%}
    {{ return(adapter.dispatch('list_of')(items)) }}
{%- endmacro %}

{% macro default__list_of(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}

{% macro spark__list_of(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}

{# The integers start, start + 1, ..., stop - 1 as a list. #}
{% macro integer_list(start, stop) -%}
    {{ return(adapter.dispatch('integer_list')(start, stop)) }}
{%- endmacro %}

{% macro default__integer_list(start, stop) -%}
    range({{ start }}, {{ stop }})
{%- endmacro %}

{% macro spark__integer_list(start, stop) -%}
    sequence({{ start }}, ({{ stop }}) - 1)
{%- endmacro %}

{# One row per element of a list (in a select list). #}
{% macro unnest_list(list) -%}
    {{ return(adapter.dispatch('unnest_list')(list)) }}
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}

{#
  A volume's magnitude in sixteenths of a power of two (-1 for no bytes): it never decreases
  as the volume grows, so users grouped by it are grouped in order of volume.
#}
{% macro volume_magnitude(volume) -%}
    case
        when {{ volume }} > 0 then cast(floor(log2({{ volume }}) * 16) as integer)
        else -1
    end
{%- endmacro %}

{# A group's values as a list, largest first (an aggregate). #}
{% macro descending_list(value) -%}
    {{ return(adapter.dispatch('descending_list')(value)) }}
{%- endmacro %}

{% macro default__descending_list(value) -%}
    list_sort(list({{ value }}), 'DESC')
{%- endmacro %}

{% macro spark__descending_list(value) -%}
    sort_array(collect_list({{ value }}), false)
{%- endmacro %}

{# The exact sum of the first `count` integers of a list. #}
{% macro sum_of_first(list, count) -%}
    {{ return(adapter.dispatch('sum_of_first')(list, count)) }}
{%- endmacro %}

{% macro default__sum_of_first(list, count) -%}
    list_sum({{ list }}[1:{{ count }}])
{%- endmacro %}

{% macro spark__sum_of_first(list, count) -%}
    aggregate(
        slice({{ list }}, 1, cast({{ count }} as int)),
        cast(0 as {{ exact_integer() }}),
        (total, value) -> total + value
    )
{%- endmacro %}

{#
  The first `count` rows of each group of `relation` in the order of `order_by` (SQL
  expressions, ties broken by the next), with `columns` and their place in the order as
  `rank_column` (from 1). DuckDB keeps each group's first rows as it reads them (arg_min's
  top n) instead of ranking every row.
#}
{% macro first_rows_per_group(relation, group_columns, columns, order_by, count, rank_column) -%}
    {{ return(adapter.dispatch('first_rows_per_group')(
        relation, group_columns, columns, order_by, count, rank_column
    )) }}
{%- endmacro %}

{% macro default__first_rows_per_group(
    relation, group_columns, columns, order_by, count, rank_column
) -%}
    select
        {{ group_columns | join(', ') }},
        {%- for column in columns %}
        first_row.{{ column }},
        {%- endfor %}
        {{ rank_column }}
    from (
        select
            {{ group_columns | join(', ') }},
            unnest(first_rows) as first_row,
            generate_subscripts(first_rows, 1) as {{ rank_column }}
        from (
            select
                {{ group_columns | join(', ') }},
                arg_min(
                    { {%- for column in columns %}'{{ column }}': {{ column }}{{ ', ' if not loop.last }}{% endfor -%} },
                    { {%- for key in order_by %}'key_{{ loop.index }}': {{ key }}{{ ', ' if not loop.last }}{% endfor -%} },
                    {{ count }}
                ) as first_rows
            from {{ relation }}
            group by {{ group_columns | join(', ') }}
        )
    )
{%- endmacro %}

{% macro spark__first_rows_per_group(
    relation, group_columns, columns, order_by, count, rank_column
) -%}
    select
        {{ group_columns | join(', ') }},
        {{ columns | join(', ') }},
        {{ rank_column }}
    from (
        select
            *,
            row_number() over (
                partition by {{ group_columns | join(', ') }}
                order by {{ order_by | join(', ') }}
            ) as {{ rank_column }}
        from {{ relation }}
    )
    where {{ rank_column }} <= {{ count }}
{%- endmacro %}

{# A 64-bit hash of the values of `columns` (a list of column names) together. #}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    hash({{ columns | join(", ") }})
{%- endmacro %}

{% macro spark__row_hash(columns) -%}
    xxhash64({{ columns | join(", ") }})
{%- endmacro %}

{#
  Before a CTE's body: whether DuckDB stores the CTE's rows once (stored=true) or computes
  the CTE wherever it is read (false). DuckDB decides by itself otherwise, and may store a
  view over tens of millions of rows that is cheaper to read again, or compute again an
  expensive column that three parts of a model read. Spark never stores a CTE.
#}
{% macro cte_stored(stored) -%}
    {{ return(adapter.dispatch('cte_stored')(stored)) }}
{%- endmacro %}

{% macro default__cte_stored(stored) -%}
    {{ 'materialized' if stored else 'not materialized' }}
{%- endmacro %}

{% macro spark__cte_stored(stored) -%}
{%- endmacro %}
