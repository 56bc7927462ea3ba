{#
  Rows alike in `columns`, with how many there are. The rows are first grouped by a hash of
  their columns, a fixed-size key where the columns hold text (pseudonyms of millions of
  users), and only the rows of a hash seen more than once by the columns themselves.
#}
{% test unique_combination(model, columns) %}
    with repeated_hashes as (
        select {{ row_hash(columns) }} as row_hash
        from {{ model }}
        group by 1
        having count(*) > 1
    )

    select {{ columns | join(", ") }}, count(*) as duplicates
    from {{ model }}
    where {{ row_hash(columns) }} in (select row_hash from repeated_hashes)
    group by {{ columns | join(", ") }}
    having count(*) > 1
{% endtest %}
