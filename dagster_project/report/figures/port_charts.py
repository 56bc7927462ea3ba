"""Port figures: the week's shares by port, and Figures 7/8 (hourly traffic by port bucket)."""

import pandas as pd

from dagster_project.report.figures.drawing import drawing, to_png

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS_PER_WEEK = 7 * 24

# Drawing order and colour of the port buckets of Figures 7 and 8; "total" is the envelope.
BUCKET_STYLES = {
    "total": {"color": "#222222", "linewidth": 1.4},
    "TCP 443": {"color": "#1f77b4", "linewidth": 1.0},
    "TCP 80": {"color": "#2ca02c", "linewidth": 1.0},
    "TCP >= 1024": {"color": "#9467bd", "linewidth": 1.0},
    "UDP 443": {"color": "#d62728", "linewidth": 1.0},
}
# The buckets each service's figure draws, as published: Figure 8 (mobile) leaves out TCP
# dynamic ports, which carry little mobile traffic.
SERVICE_BUCKETS = {
    "broadband": ("total", "TCP 443", "TCP 80", "TCP >= 1024", "UDP 443"),
    "mobile": ("total", "TCP 443", "TCP 80", "UDP 443"),
}


def port_share_figure(port_usage: pd.DataFrame, title: str, footnote: str) -> bytes:
    """Horizontal bars of the week's share of bytes for every row of the port table."""
    rows = port_usage.sort_values("row_order")
    labels = [
        label if level == 0 else f"{protocol} {label}"
        for protocol, label, level in zip(
            rows["protocol_name"], rows["label"], rows["level"], strict=True
        )
    ]
    with drawing(figsize=(7, 6)) as (figure, axes):
        axes.barh(labels[::-1], rows["share_pct"].to_numpy()[::-1], color="#1f77b4")
        axes.set_xlabel("share of bytes (%)")
        axes.set_title(title)
        return to_png(figure, footnote)


def _draw_week_panel(axes, week: pd.DataFrame, title: str) -> None:
    for bucket, style in BUCKET_STYLES.items():
        rows = week[week["bucket"] == bucket].sort_values("hour_of_week")
        if rows.empty:
            continue
        axes.plot(
            rows["hour_of_week"].to_numpy(),
            rows["traffic"].to_numpy(dtype=float),
            label=bucket,
            **style,
        )
    axes.set_xlim(0, HOURS_PER_WEEK)
    axes.set_ylim(0, 1.05)
    axes.set_xticks(range(0, HOURS_PER_WEEK + 1, 24))
    axes.set_xticklabels([*WEEKDAY_NAMES, ""], ha="left")
    axes.set_ylabel("traffic (peak of total = 1)")
    axes.set_title(title, loc="left")


def hourly_port_figure(hourly: pd.DataFrame, title: str, footnote: str) -> bytes:
    """Figures 7 and 8: one panel per week (oldest on top), hourly traffic per port bucket.

    `hourly` has columns week_start, hour_of_week (0-167 from Monday 00:00 local), bucket and
    traffic (each week normalised so that the peak of its total is 1).
    """
    weeks = sorted(pd.to_datetime(hourly["week_start"]).unique())
    if not weeks:
        raise ValueError("no weeks to draw")
    with drawing(len(weeks), 1, figsize=(8, 2.6 * len(weeks) + 0.6), squeeze=False) as (
        figure,
        axes,
    ):
        for panel, week_start in zip(axes[:, 0], weeks, strict=True):
            week = hourly[pd.to_datetime(hourly["week_start"]) == week_start]
            _draw_week_panel(panel, week, f"week of {week_start:%Y-%m-%d}")
        axes[0, 0].legend(loc="upper left", ncols=len(BUCKET_STYLES), frameon=False)
        figure.suptitle(title)
        return to_png(figure, footnote)
