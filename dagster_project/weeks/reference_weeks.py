"""The weeks the report compares, from the dbt seed `reference_weeks` (dbt/seeds/), which the
cross-week models read too: each year's comparison week, the seasonal weeks of Figure 2 and
the pre-pandemic week of Figure 9. Also the months of the monthly totals."""

from datetime import date

from dagster_project.reference.seeds import reference_weeks

_WEEKS = reference_weeks()

COMPARISON_WEEKS: dict[int, date] = dict(_WEEKS.comparison_weeks)
SEASONAL_WEEKS: tuple[date, ...] = _WEEKS.seasonal_weeks
PRE_PANDEMIC_WEEK: date = _WEEKS.pre_pandemic_week

# The report's own week: the latest comparison week.
DEFAULT_WEEK = COMPARISON_WEEKS[max(COMPARISON_WEEKS)]

# First and last month of the monthly totals (Figure 1 and the growth table).
MONTHLY_TOTALS_FROM = date(2019, 1, 1)
MONTHLY_TOTALS_TO = date(2024, 6, 1)


def default_weeks() -> list[date]:
    """Every week the built-in report needs, oldest first."""
    return _WEEKS.all_weeks()
