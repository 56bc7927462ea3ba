-- Every reference week starts on a Monday, and exactly the comparison weeks name a report year.
select week_start, role, report_year
from {{ ref('reference_weeks') }}
where {{ iso_day_of_week('week_start') }} <> 1
    or (role = 'comparison') <> (report_year is not null)
