{#
  Two assignments whose networks nest (equal, or one inside the other) with overlapping
  validity: a flow address in both would be counted for two subscribers.
#}
{% test assignments_do_not_overlap(model) %}
    with assignments as (
        select
            *,
            row_number() over (
                order by subscriber_id, access, address, valid_from, valid_to
            ) as assignment_row
        from {{ model }}
        where network_key is not null
    ),

    prefix_lengths as (
        select distinct address_family, prefix_len as shorter_len from assignments
    ),

    -- each assignment's network cut down to every shorter length present
    truncated as (
        select
            assignments.*,
            prefix_lengths.shorter_len,
            assignments.network_key >> (assignments.prefix_len - prefix_lengths.shorter_len)::uhugeint
                as shorter_key
        from assignments
        join prefix_lengths
            on prefix_lengths.address_family = assignments.address_family
            and prefix_lengths.shorter_len <= assignments.prefix_len
    )

    select
        outer_net.subscriber_id as subscriber_id,
        outer_net.address as address,
        inner_net.subscriber_id as other_subscriber_id,
        inner_net.address as other_address
    from truncated as inner_net
    join assignments as outer_net
        on outer_net.address_family = inner_net.address_family
        and outer_net.prefix_len = inner_net.shorter_len
        and outer_net.network_key = inner_net.shorter_key
        and outer_net.assignment_row <> inner_net.assignment_row
        and outer_net.valid_from < inner_net.valid_to
        and inner_net.valid_from < outer_net.valid_to
{% endtest %}
