"""The IPv6 share of traffic over the weeks in the warehouse (not in the published report)."""

import pandas as pd

from dagster_project.report.figures.drawing import DIRECTION_COLOURS, service_panels_over_time

DIRECTION_STYLES = {"OUT": "-", "IN": ":"}


def _share_panel(axes, shares: pd.DataFrame, service: str) -> None:
    rows = shares[shares["service"] == service]
    for direction, linestyle in DIRECTION_STYLES.items():
        curve = rows[rows["direction"] == direction].sort_values("week_start")
        if curve.empty:
            continue
        axes.plot(
            pd.to_datetime(curve["week_start"]),
            curve["ipv6_share_pct"].to_numpy(dtype=float),
            color=DIRECTION_COLOURS[direction],
            linestyle=linestyle,
            linewidth=1.4,
            marker="o",
            markersize=3,
            label=direction,
        )
    axes.set_title(service, loc="left")
    axes.set_ylabel("IPv6 share of bytes (%)")
    axes.set_ylim(0, 100)
    axes.legend(frameon=False, loc="upper left")


def ipv6_share_figure(shares: pd.DataFrame, title: str, footnote: str) -> bytes:
    """The IPv6 share of each service's bytes per week, downloads (OUT) solid, uploads (IN)
    dotted, a panel per service with data.

    `shares` has columns week_start, service, direction and ipv6_share_pct (ipv6_share_by_week).
    """
    return service_panels_over_time(shares, _share_panel, title, footnote)
