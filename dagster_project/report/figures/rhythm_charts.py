"""Traffic over time: monthly totals (Figure 1) and weekday hour-of-day curves (2, 9, 10)."""

import pandas as pd

from dagster_project.report.figures.drawing import (
    DIRECTION_COLOURS,
    colours_for,
    drawing,
    service_panels_over_time,
    to_png,
)

ACCESS_LINESTYLES = {"all": "-", "pppoe": "--", "ipoe": ":", "mobile": "-"}
HOURS_OF_DAY = range(0, 25, 3)
RATE_UNITS = (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3), ("bit/s", 1.0))


def rate_unit(bits_per_second: pd.Series) -> tuple[str, float]:
    """The largest unit in which the peak rate is at least 1, so the axis reads naturally."""
    peak = float(bits_per_second.max()) if len(bits_per_second) else 0.0
    return next(((unit, scale) for unit, scale in RATE_UNITS if peak >= scale), RATE_UNITS[-1])


def _monthly_panel(axes, monthly: pd.DataFrame, service: str) -> None:
    rows = monthly[monthly["service"] == service]
    # A service with one access (mobile) would draw its total twice.
    if rows.loc[rows["access"] != "all", "access"].nunique() < 2:
        rows = rows[rows["access"] == "all"]
    for (access, direction), curve in rows.groupby(["access", "direction"], sort=True):
        curve = curve.sort_values("month")
        axes.plot(
            pd.to_datetime(curve["month"]),
            curve["normalized_traffic"].to_numpy(dtype=float),
            color=DIRECTION_COLOURS[direction],
            linestyle=ACCESS_LINESTYLES.get(access, "-."),
            linewidth=1.4 if access in ("all", "mobile") else 1.0,
            label=f"{direction} {access}",
        )
    axes.set_title(service, loc="left")
    axes.set_ylabel("monthly traffic (OUT Jan 2020 = 1)")
    axes.set_ylim(bottom=0)
    axes.legend(frameon=False, loc="upper left", ncols=2)


def monthly_traffic_figure(monthly: pd.DataFrame, title: str, footnote: str) -> bytes:
    """Figure 1: monthly average traffic per service, normalised to OUT of January 2020.

    `monthly` has columns month, service, access (all/pppoe/ipoe for broadband, mobile),
    direction and normalized_traffic; broadband shows its total and the PPPoE/IPoE split.
    """
    return service_panels_over_time(monthly, _monthly_panel, title, footnote)


def weekday_hourly_figure(
    hourly: pd.DataFrame, title: str, footnote: str, directions: tuple[str, ...] = ("OUT", "IN")
) -> bytes:
    """Figures 2, 9 and 10: mean traffic by hour of day over Monday-Friday, a colour per week.

    Downloads (OUT) are solid and uploads (IN) dotted, as published. `hourly` has columns
    week_start, direction, hour_of_day (0-23) and bits_per_second (mean rate in that hour).
    """
    weeks = sorted(hourly["week_start"].unique())
    unit, scale = rate_unit(hourly.loc[hourly["direction"].isin(directions), "bits_per_second"])
    with drawing(figsize=(7, 4.2)) as (figure, axes):
        for week, colour in zip(weeks, colours_for(len(weeks)), strict=True):
            for direction in directions:
                curve = hourly[
                    (hourly["week_start"] == week) & (hourly["direction"] == direction)
                ].sort_values("hour_of_day")
                axes.plot(
                    curve["hour_of_day"].to_numpy(),
                    curve["bits_per_second"].to_numpy(dtype=float) / scale,
                    color=colour,
                    linestyle="-" if direction == "OUT" else ":",
                    linewidth=1.3,
                    marker=".",
                    markersize=3,
                    label=f"{pd.Timestamp(week):%Y-%m-%d} {direction}",
                )
        axes.set_xlim(0, 23)
        axes.set_xticks(list(HOURS_OF_DAY)[:-1])
        axes.set_xlabel("hour of day (analysis time zone)")
        axes.set_ylabel(f"mean traffic ({unit})")
        axes.set_ylim(bottom=0)
        axes.set_title(title)
        axes.legend(frameon=False, ncols=2, loc="upper left")
        return to_png(figure, footnote)
