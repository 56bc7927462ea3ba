{#
  Two assignments whose networks nest (equal, or one inside the other) with overlapping
  validity: a flow address in both would be counted for two subscribers. Lengths are in the
  128-bit space of stg_assignments, so IPv4 and IPv6 prefixes compare alike.

  Found in two passes over the same logic (`nested_overlaps`). The first reads only numbers
  and times, which is most of the work at tens of millions of assignments, and finds the
  networks that take part in an overlap; the second names the subscribers of the
  assignments of those networks alone (none, in a sound week). Every overlapping pair has
  both its networks among them, so the second pass finds every pair the whole week has.
  Each pass reads the assignments where it uses them (`cte_stored`): storing them first
  took longer than reading them again.
#}
{% test assignments_do_not_overlap(model) %}
    {%- set interval_columns = [
        'address_family', 'prefix_len', 'network_hi', 'network_lo',
        'network_key_hi', 'network_key_lo', 'valid_from', 'valid_to',
    ] %}
    with intervals as {{ cte_stored(false) }} (
        select
            {{ interval_columns | join(', ') }},
            -- a stand-in holder: the first pass needs no subscriber
            0 as subscriber_id
        from {{ model }}
        -- an interval that holds no instant holds no address
        where valid_from < valid_to
    ),

    overlapping_intervals as (
        {{ nested_overlaps('intervals', candidates=true) }}
    ),

    networks_in_overlaps as (
        select prefix_len, network_key_hi, network_key_lo from overlapping_intervals
        union
        select other_prefix_len, other_network_key_hi, other_network_key_lo
        from overlapping_intervals
    ),

    assignments as {{ cte_stored(false) }} (
        select
            {{ interval_columns | join(', ') }},
            subscriber_id
        from {{ model }}
        semi join networks_in_overlaps using (prefix_len, network_key_hi, network_key_lo)
        where valid_from < valid_to
    ),

    overlapping_assignments as (
        {{ nested_overlaps('assignments') }}
    )

    select subscriber_id, prefix_len, other_subscriber_id, other_prefix_len
    from overlapping_assignments
{% endtest %}

