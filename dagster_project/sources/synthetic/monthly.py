"""Monthly interface totals (Figure 1, growth table) and the traffic level they imply.

Each service and direction follows a level curve through anchor months, normalised so that
each service's OUT in January 2020 is 1. The June anchors follow from the published growth
(year-on-year, five-year factor, mobile OUT vs January 2020); the remaining anchors encode
the shape the report describes (pre-pandemic growth, the spring 2020 jump, the mobile lull
during the first year of COVID). IPoE takes a growing share of broadband. Between anchors
the level moves log-linearly; a fixed seasonal pattern (neutral in January and June) and a
little noise are added on the other months.
"""

import calendar
from datetime import date

import numpy as np
import pandas as pd

from dagster_project.weeks.reference_weeks import MONTHLY_TOTALS_FROM, MONTHLY_TOTALS_TO

ANCHOR_MONTHS = (
    "2019-06",
    "2020-01",
    "2020-04",
    "2020-06",
    "2021-06",
    "2022-06",
    "2023-06",
    "2024-06",
)
# Shape assumptions, relative to January 2020 of the same service and direction.
BROADBAND_SHAPE = {
    "out": {"2019-06": 0.90, "2020-01": 1.0, "2020-04": 1.22, "2020-06": 1.20, "2021-06": 1.28},
    "in": {"2019-06": 0.90, "2020-01": 1.0, "2020-04": 1.28, "2020-06": 1.20, "2021-06": 1.22},
}
MOBILE_SHAPE = {
    "out": {"2019-06": 0.95, "2020-01": 1.0, "2020-04": 0.90, "2020-06": 0.93, "2021-06": 1.02},
    "in": {"2019-06": 0.95, "2020-01": 1.0, "2020-04": 0.92, "2020-06": 0.95, "2021-06": 1.0},
}
MOBILE_IN_2022_VS_JANUARY_2020 = 1.2
IN_OUT_RATIO_JANUARY_2020 = {"broadband": 0.13, "mobile": 0.30}
# IPoE share of broadband traffic before the published years (June of each year).
IPOE_SHARE_EARLY = {
    "out": {
        "2019-06": 0.12,
        "2020-01": 0.16,
        "2020-04": 0.19,
        "2020-06": 0.22,
        "2021-06": 0.32,
        "2022-06": 0.40,
    },
    "in": {
        "2019-06": 0.12,
        "2020-01": 0.16,
        "2020-04": 0.18,
        "2020-06": 0.20,
        "2021-06": 0.30,
        "2022-06": 0.38,
    },
}
SEASONAL = (1.0, 0.99, 1.01, 1.0, 1.01, 1.0, 1.0, 1.03, 1.0, 0.99, 0.99, 1.02)
NOISE_SD = 0.002
# Typical daily OUT per user at level 1 (January 2020), for a plausible absolute scale.
DAILY_OUT_PER_USER = {"broadband": 4.0e9, "mobile": 8.0e7}


def derive_anchors(growth: dict) -> dict:
    """Anchor levels per service and direction (and IPoE shares) from the published growth."""
    yoy = growth["year_on_year_percent"]
    anchors: dict[str, dict] = {"broadband": {}, "mobile": {}}
    for direction in ("out", "in"):
        five_year = growth["five_year_factor"]["broadband"][direction]["factor"]
        level = dict(BROADBAND_SHAPE[direction])
        level["2022-06"] = level["2019-06"] * five_year / _growth(yoy["broadband"][direction])
        anchors["broadband"][direction] = _chain(level, yoy["broadband"][direction])

        level = dict(MOBILE_SHAPE[direction])
        if direction == "out":
            june_2024 = growth["mobile_out_vs_january_2020"]
            level["2022-06"] = june_2024 / _growth(yoy["mobile"][direction])
        else:
            level["2022-06"] = MOBILE_IN_2022_VS_JANUARY_2020
        anchors["mobile"][direction] = _chain(level, yoy["mobile"][direction])
    for service, directions in anchors.items():
        ratio = IN_OUT_RATIO_JANUARY_2020[service]
        directions["in"] = {month: value * ratio for month, value in directions["in"].items()}
    published_share = growth["ipoe_share_percent"]
    anchors["ipoe_share"] = {
        direction: {
            **IPOE_SHARE_EARLY[direction],
            **{f"{year}-06": percent / 100 for year, percent in published_share[direction].items()},
        }
        for direction in ("out", "in")
    }
    return _rounded(anchors)


def _growth(percent_by_year: dict[int, float]) -> float:
    return float(np.prod([1 + p / 100 for p in percent_by_year.values()]))


def _chain(level: dict[str, float], percent_by_year: dict[int, float]) -> dict[str, float]:
    for year in sorted(percent_by_year):
        level[f"{year}-06"] = level[f"{year - 1}-06"] * (1 + percent_by_year[year] / 100)
    return level


def _rounded(value):
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return round(float(value), 6)


def _month_number(month: str | date) -> float:
    if isinstance(month, date):
        return month.year * 12 + month.month - 1 + (month.day - 1) / 31
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def level_at(anchors: dict[str, float], when: str | date) -> float:
    """Log-linear interpolation between anchor months, extrapolated beyond the ends."""
    months = sorted(anchors, key=_month_number)
    x = np.array([_month_number(m) for m in months])
    y = np.log([anchors[m] for m in months])
    t = _month_number(when)
    if t <= x[0]:
        slope = (y[1] - y[0]) / (x[1] - x[0])
        return float(np.exp(y[0] + slope * (t - x[0])))
    if t >= x[-1]:
        slope = (y[-1] - y[-2]) / (x[-1] - x[-2])
        return float(np.exp(y[-1] + slope * (t - x[-1])))
    return float(np.exp(np.interp(t, x, y)))


def monthly_table(anchors: dict, users: dict[str, int], seed: int) -> pd.DataFrame:
    """Monthly bytes per service, access and direction (canonical columns, minus source_file)."""
    months = pd.date_range(MONTHLY_TOTALS_FROM, MONTHLY_TOTALS_TO, freq="MS").date
    anchor_months = {date.fromisoformat(f"{m}-01") for m in ANCHOR_MONTHS}
    rng = np.random.default_rng([seed, 0x4D4F4E])
    rows = []
    for service in ("broadband", "mobile"):
        daily = users[service] * DAILY_OUT_PER_USER[service]
        for direction in ("in", "out"):
            for month in months:
                # Levels are rates: a month's bytes scale with its length.
                days = calendar.monthrange(month.year, month.month)[1]
                seasonal = SEASONAL[month.month - 1]
                noise = 1.0 if month in anchor_months else float(rng.lognormal(0, NOISE_SD))
                level = level_at(anchors[service][direction], month)
                total = daily * days * level * seasonal * noise
                rows.extend(_split_access(service, direction, month, total, anchors))
    return pd.DataFrame(rows, columns=["month", "service", "access", "direction", "bytes"])


def _split_access(service: str, direction: str, month: date, total: float, anchors: dict):
    label = direction.upper()
    if service == "mobile":
        return [(month, service, "mobile", label, round(total))]
    share = level_at(anchors["ipoe_share"][direction], month)
    ipoe = round(total * share)
    return [
        (month, service, "pppoe", label, round(total) - ipoe),
        (month, service, "ipoe", label, ipoe),
    ]
