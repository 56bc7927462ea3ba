{#
  Figures 5 and 6: a reproducible sample of 5,000 personal users per service with their
  daily IN and OUT. Users are ordered by the md5 of their key (service, access, subscriber),
  so the same users are drawn every run and, where they exist, in every week; only users with
  traffic in both directions are drawn, as the figures plot both on log axes.
#}
with candidates as (
    select *
    from {{ ref('int_user_week_totals') }}
    where week_start = {{ analysis_week_start() }}
        and customer_class = 'personal'
        and bytes_in > 0
        and bytes_out > 0
),

drawn as (
    {{ first_rows_per_group(
        'candidates',
        ['week_start', 'service'],
        ['access', 'subscriber_id', 'bytes_in', 'bytes_out'],
        ["md5(concat_ws('|', service, access, subscriber_id))", 'access', 'subscriber_id'],
        5000,
        'sample_rank'
    ) }}
)

select
    week_start,
    service,
    access,
    subscriber_id,
    sample_rank,
    bytes_in::double / 7 as daily_bytes_in,
    bytes_out::double / 7 as daily_bytes_out
from drawn
