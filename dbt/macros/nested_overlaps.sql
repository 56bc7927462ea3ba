{#
  The pairs of `assignments` (address_family, prefix_len, network_hi/lo, network_key_hi/lo,
  valid_from, valid_to, subscriber_id) whose networks nest and whose intervals overlap, each
  side's network and subscriber.

  Equal networks: each row against the latest end of those of its network that started
  before it (one sort of all rows; finding the networks held more than once first, a hash
  count of as many groups as rows, cost more than it saved); a network inside a shorter one
  is found by cutting each assignment to every strictly shorter length its family uses.

  `candidates`: only which networks take part in an overlap matters, not who held them. The
  rows are then sorted by a 64-bit hash of their network (one sort key instead of three) and
  carry no holder: 4.5-5.5 s against 6.1-7.5 s for the 31.7M assignments of a 100M-flow
  week. Two networks of one hash sort together and can only add candidates, never hide an
  overlap (a row is compared with more earlier rows, not fewer), and the exact pass over
  the candidates' assignments drops them.
#}
{% macro nested_overlaps(assignments, candidates=false) %}
    {%- set network = ['prefix_len', 'network_key_hi', 'network_key_lo'] %}
    -- each row against those of its network that started before it (in the order of their
    -- start); it overlaps one of them exactly when it starts before the latest end
    with same_network_in_order as (
        select
            *,
            max(valid_to) over earlier as latest_earlier_end,
            {%- if candidates %}
            subscriber_id as latest_earlier_holder
            {%- else %}
            max_by(subscriber_id, valid_to) over earlier as latest_earlier_holder
            {%- endif %}
        from {{ assignments }}
        window earlier as (
            {%- if candidates %}
            partition by {{ row_hash(network) }}
            order by valid_from, valid_to
            {%- else %}
            partition by {{ network | join(', ') }}
            order by valid_from, valid_to, subscriber_id
            {%- endif %}
            rows between unbounded preceding and 1 preceding
        )
    ),

    same_network as (
        select
            latest_earlier_holder as subscriber_id,
            prefix_len,
            network_key_hi,
            network_key_lo,
            subscriber_id as other_subscriber_id,
            prefix_len as other_prefix_len,
            network_key_hi as other_network_key_hi,
            network_key_lo as other_network_key_lo
        from same_network_in_order
        where valid_from < latest_earlier_end
    ),

    shorter_lengths as (
        select distinct address_family, prefix_len as shorter_len from {{ assignments }}
    ),

    -- each assignment's network cut down to every strictly shorter length of its family
    truncated as (
        select
            assignments.*,
            shorter_lengths.shorter_len,
            {{ network_key_hi('assignments.network_hi', 'shorter_lengths.shorter_len') }}
                as shorter_key_hi,
            {{ network_key_lo('assignments.network_lo', 'shorter_lengths.shorter_len') }}
                as shorter_key_lo
        from {{ assignments }} as assignments
        join shorter_lengths
            on shorter_lengths.address_family = assignments.address_family
            and shorter_lengths.shorter_len < assignments.prefix_len
    ),

    nested_network as (
        select
            outer_net.subscriber_id,
            outer_net.prefix_len,
            outer_net.network_key_hi,
            outer_net.network_key_lo,
            inner_net.subscriber_id as other_subscriber_id,
            inner_net.prefix_len as other_prefix_len,
            inner_net.network_key_hi as other_network_key_hi,
            inner_net.network_key_lo as other_network_key_lo
        from truncated as inner_net
        join {{ assignments }} as outer_net
            on outer_net.prefix_len = inner_net.shorter_len
            and outer_net.network_key_hi = inner_net.shorter_key_hi
            and outer_net.network_key_lo = inner_net.shorter_key_lo
            and outer_net.valid_from < inner_net.valid_to
            and inner_net.valid_from < outer_net.valid_to
    )

    select * from same_network
    union all
    select * from nested_network
{% endmacro %}
