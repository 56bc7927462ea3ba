"""When a week's traffic peaks: the hour of day with the most traffic on weekdays and at
weekends, from the hourly totals of hourly_port_traffic (the curves of Figures 7 and 8).

The published report describes the peaks in words ("around 19:00-23:00"); a table puts the
hour the text quotes next to the figures it is read from.
"""

import pandas as pd

from dagster_project.report.tables import MISSING, ReportTable

HOURS_PER_DAY = 24
# hour_of_week counts from Monday 00:00: Monday-Friday are its first five days.
WEEKDAY_HOURS = 5 * HOURS_PER_DAY
# (key, column header, whether an hour of the week belongs to the part)
PARTS = (
    ("weekdays", "weekdays (Mon-Fri)", lambda hours: hours < WEEKDAY_HOURS),
    ("weekend", "weekend (Sat-Sun)", lambda hours: hours >= WEEKDAY_HOURS),
)
TOTAL = "total"


def peak_hour(total: pd.DataFrame) -> str:
    """'21:00': the hour of day whose traffic, averaged over the days in `total`, is highest
    (the earliest of equal hours); MISSING when there are no rows."""
    if total.empty:
        return MISSING
    hour_of_day = total["hour_of_week"].astype(int) % HOURS_PER_DAY
    mean_by_hour = total["traffic"].astype(float).groupby(hour_of_day).mean()
    return f"{int(mean_by_hour.idxmax()):02d}:00"


def peak_hour_table(
    name: str,
    title: str,
    hourly: pd.DataFrame,
    footer: str = "",
    period: tuple[str, str] = ("report_year", "year"),
) -> ReportTable:
    """A row per service and period: the peak hour on weekdays and at weekends.

    `hourly` has columns service, hour_of_week, bucket and traffic (hourly_port_traffic) and
    the column that labels the period; `period` is (that column, what the header calls it).
    """
    column, period_name = period
    total = hourly[hourly["bucket"] == TOTAL]
    rows = []
    for service in sorted(total["service"].unique()):
        of_service = total[total["service"] == service]
        for label in sorted(of_service[column].unique()):
            week = of_service[of_service[column] == label]
            rows.append(
                (
                    f"{service} {label}",
                    *(peak_hour(week[part(week["hour_of_week"])]) for _, _, part in PARTS),
                )
            )
    return ReportTable(
        name=name,
        title=title,
        columns=(f"Service, {period_name}", *(header for _, header, _ in PARTS)),
        rows=tuple(rows),
        footer=footer,
        keys=tuple(key for key, _, _ in PARTS),
    )
