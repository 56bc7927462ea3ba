{#
  A table of totals at several grains (its `grain` column) holds every flow end once in each:
  in the analysis week, each service's grains all sum to the same bytes and flows. Returns
  the services whose grains disagree or miss one of the `grains`.
#}
{% test grains_sum_alike(model, grains) %}
    with grain_sums as (
        select service, grain, sum(bytes) as bytes, sum(flows) as flows
        -- the analysis week's rows only (macros/week_tests.sql)
        from {{ model }}
        group by service, grain
    )

    select
        service,
        count(*) as grains,
        count(distinct bytes) as byte_sums,
        count(distinct flows) as flow_sums
    from grain_sums
    group by service
    having count(*) <> {{ grains | length }}
        or count(distinct bytes) > 1
        or count(distinct flows) > 1
{% endtest %}
