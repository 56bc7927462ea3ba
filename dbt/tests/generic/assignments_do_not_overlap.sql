{#
  Two assignments whose networks nest (equal, or one inside the other) with overlapping
  validity: a flow address in both would be counted for two subscribers. Lengths are in the
  128-bit space of stg_assignments, so IPv4 and IPv6 prefixes compare alike.
#}
{% test assignments_do_not_overlap(model) %}
    with assignments as (
        select
            *,
            row_number() over (
                order by subscriber_id, access, network_hi, network_lo, prefix_len, valid_from,
                    valid_to
            ) as assignment_row
        from {{ model }}
    ),

    prefix_lengths as (
        select distinct prefix_len as shorter_len from assignments
    ),

    -- each assignment's network cut down to every shorter length present
    truncated as (
        select
            assignments.*,
            prefix_lengths.shorter_len,
            {{ network_key_hi('assignments.network_hi', 'prefix_lengths.shorter_len') }}
                as shorter_key_hi,
            {{ network_key_lo('assignments.network_lo', 'prefix_lengths.shorter_len') }}
                as shorter_key_lo
        from assignments
        join prefix_lengths on prefix_lengths.shorter_len <= assignments.prefix_len
    )

    select
        outer_net.subscriber_id as subscriber_id,
        outer_net.prefix_len as prefix_len,
        inner_net.subscriber_id as other_subscriber_id,
        inner_net.prefix_len as other_prefix_len
    from truncated as inner_net
    join assignments as outer_net
        on outer_net.prefix_len = inner_net.shorter_len
        and outer_net.network_key_hi = inner_net.shorter_key_hi
        and outer_net.network_key_lo = inner_net.shorter_key_lo
        and outer_net.assignment_row <> inner_net.assignment_row
        and outer_net.valid_from < inner_net.valid_to
        and inner_net.valid_from < outer_net.valid_to
{% endtest %}
