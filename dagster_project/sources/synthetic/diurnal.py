"""When traffic happens: hour-of-week weights per service and direction (local time).

Shapes only (the report publishes no numbers): broadband downloads peak 19:00-23:00;
broadband uploads peak in the early afternoon on weekdays with a dip 12:00-13:00, a daytime
share that grew with remote work after February 2020; mobile has three weekday peaks
(morning commute, lunch break, evening).
"""

from datetime import date

import numpy as np

HOURS = np.arange(24) + 0.5
REMOTE_WORK_FROM = date(2020, 3, 1)
LUNCH_DIP = 0.75  # weekday uploads 12:00-13:00 relative to the neighbouring hours' trend


def _bump(centre: float, width: float) -> np.ndarray:
    distance = (HOURS - centre + 12) % 24 - 12
    return np.exp(-0.5 * (distance / width) ** 2)


def remote_work_level(week_start: date) -> float:
    """How much weekday daytime use there is on top of the pre-2020 pattern (0..1)."""
    return 0.0 if week_start < REMOTE_WORK_FROM else 1.0


def daily_profile(service: str, direction: str, weekday: bool, remote_work: float) -> np.ndarray:
    """Relative traffic per local hour of one day (24 values)."""
    if service == "mobile":
        if weekday:
            profile = (
                0.15
                + 0.55 * _bump(7.8, 0.8)
                + 0.65 * _bump(12.4, 0.6)
                + 0.35 * _bump(18.0, 1.0)
                + 0.9 * _bump(21.5, 1.8)
            )
        else:
            profile = 0.2 + 0.6 * _bump(14.5, 3.5) + 0.8 * _bump(21.5, 2.0)
        return profile if direction == "out" else 0.7 * profile + 0.3 * profile.mean()
    if direction == "out":
        daytime = (0.25 if weekday else 0.5) + 0.2 * remote_work
        return 0.12 + _bump(21.0, 2.2) + daytime * _bump(13.5, 3.0)
    daytime = (0.35 + 0.55 * remote_work) if weekday else 0.45
    profile = 0.25 + 0.55 * _bump(21.5, 2.4) + daytime * _bump(14.0, 2.5)
    if weekday:
        profile[12] *= LUNCH_DIP
    return profile


def week_profile(service: str, direction: str, week_start: date) -> np.ndarray:
    """Relative traffic per hour of the week, Monday 00:00 first (168 values, sum 1)."""
    level = remote_work_level(week_start)
    days = [daily_profile(service, direction, day < 5, level) for day in range(7)]
    profile = np.concatenate(days)
    return profile / profile.sum()


def day_weights(service: str, direction: str, week_start: date) -> np.ndarray:
    """Share of a week's volume per day (7 values, sum 1)."""
    return week_profile(service, direction, week_start).reshape(7, 24).sum(axis=1)
