{#
  Assignments whose prefix length the attribution does not match (vars ipv4_prefix_lengths
  / ipv6_prefix_lengths): their traffic would silently count as unattributed.
#}
{% test assignment_prefix_lengths_supported(model) %}
    select subscriber_id, address, address_family, prefix_len
    from {{ model }}
    where (address_family = 'ipv4'
            and prefix_len not in ({{ var('ipv4_prefix_lengths') | join(', ') }}))
        or (address_family = 'ipv6'
            and prefix_len not in ({{ var('ipv6_prefix_lengths') | join(', ') }}))
{% endtest %}
