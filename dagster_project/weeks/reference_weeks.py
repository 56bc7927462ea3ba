"""The weeks the report compares: each year's comparison week, the seasonal weeks of Figure 2,
the pre-pandemic week of Figure 9, and the months of the monthly totals."""

from datetime import date

# The week each year's report compares (late May / early June; 2023 and 2024 are the
# weeks the Vol. 64 report names).
COMPARISON_WEEKS: dict[int, date] = {
    2019: date(2019, 5, 27),
    2020: date(2020, 6, 1),
    2021: date(2021, 5, 31),
    2022: date(2022, 5, 30),
    2023: date(2023, 5, 29),
    2024: date(2024, 6, 3),
}

# Figure 2: four school weeks roughly four months apart since May 2023.
SEASONAL_WEEKS: tuple[date, ...] = (
    date(2023, 5, 29),
    date(2023, 10, 2),
    date(2024, 2, 5),
    date(2024, 6, 3),
)

# Figure 9 starts from a week just before the pandemic.
PRE_PANDEMIC_WEEK = date(2020, 2, 17)

DEFAULT_WEEK = COMPARISON_WEEKS[2024]

# First and last month of the monthly totals (Figure 1 and the growth table).
MONTHLY_TOTALS_FROM = date(2019, 1, 1)
MONTHLY_TOTALS_TO = date(2024, 6, 1)


def default_weeks() -> list[date]:
    """Every week the built-in report needs, oldest first."""
    weeks = {*COMPARISON_WEEKS.values(), *SEASONAL_WEEKS, PRE_PANDEMIC_WEEK}
    return sorted(weeks)
