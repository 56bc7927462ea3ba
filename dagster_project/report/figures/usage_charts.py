"""Per-user daily usage figures: densities (Figures 3, 4, 11) and IN/OUT scatter (5, 6)."""

import math

import numpy as np
import pandas as pd

from dagster_project.report.figures.drawing import DIRECTION_COLOURS, colours_for, drawing, to_png

# The published x axis: 10 KB to 100 GB a day.
DENSITY_X_RANGE = (1e4, 1e11)
DIRECTION_LINESTYLES = {"OUT": "-", "IN": "--"}


def _log_axis(axes, limits: tuple[float, float]) -> None:
    axes.set_xscale("log")
    axes.set_xlim(*limits)


def density_figure(
    distribution: pd.DataFrame, title: str, footnote: str, period: str = "report_year"
) -> bytes:
    """Probability density of log10(daily bytes), one colour per period, IN dashed, OUT solid.

    `distribution` has columns `period` (the report year, or a label of one week), direction
    (IN/OUT), log10_bytes (bin centre) and density (per unit of log10 bytes, so each curve
    integrates to 1 over the log axis).
    """
    years = sorted(distribution[period].unique())
    with drawing(figsize=(7, 4.2)) as (figure, axes):
        for year, colour in zip(years, colours_for(len(years)), strict=True):
            for direction in ("IN", "OUT"):
                curve = distribution[
                    (distribution[period] == year) & (distribution["direction"] == direction)
                ].sort_values("log10_bytes")
                axes.plot(
                    np.power(10.0, curve["log10_bytes"].to_numpy(dtype=float)),
                    curve["density"].to_numpy(dtype=float),
                    color=colour,
                    linestyle=DIRECTION_LINESTYLES[direction],
                    linewidth=1.3,
                    label=f"{year} {direction}",
                )
        _log_axis(axes, DENSITY_X_RANGE)
        axes.set_ylim(bottom=0)
        axes.set_xlabel("daily usage (bytes/day, log scale)")
        axes.set_ylabel("probability density")
        axes.set_title(title)
        axes.legend(ncols=2, frameon=False, loc="upper left")
        return to_png(figure, footnote)


def decade_limits(values: np.ndarray) -> tuple[float, float]:
    """Whole decades enclosing every positive value (the common range of both axes)."""
    positive = values[values > 0]
    if positive.size == 0:
        raise ValueError("no positive usage to draw")
    return 10.0 ** math.floor(np.log10(positive.min())), 10.0 ** math.ceil(np.log10(positive.max()))


def drawable_users(sample: pd.DataFrame) -> pd.DataFrame:
    """The sampled users with bytes in both directions: only they can sit on log-log axes."""
    return sample[(sample["daily_bytes_out"] > 0) & (sample["daily_bytes_in"] > 0)]


def scatter_figure(sample: pd.DataFrame, title: str, footnote: str) -> bytes:
    """Figures 5 and 6: IN against OUT per sampled user, log-log, with the diagonal IN = OUT.

    `sample` has columns daily_bytes_out and daily_bytes_in. Users with no bytes in one
    direction cannot sit on a log axis; the footnote says how many were left out.
    """
    points = drawable_users(sample)
    limits = decade_limits(points[["daily_bytes_out", "daily_bytes_in"]].to_numpy(float).ravel())
    with drawing(figsize=(5.6, 5.6)) as (figure, axes):
        axes.scatter(
            points["daily_bytes_out"].to_numpy(dtype=float),
            points["daily_bytes_in"].to_numpy(dtype=float),
            s=3,
            alpha=0.45,
            linewidths=0,
            color=DIRECTION_COLOURS["OUT"],
            rasterized=False,
        )
        axes.plot(limits, limits, color="#444444", linewidth=0.9)
        _log_axis(axes, limits)
        axes.set_yscale("log")
        axes.set_ylim(*limits)
        axes.set_aspect("equal")
        axes.set_xlabel("OUT: download (bytes/day)")
        axes.set_ylabel("IN: upload (bytes/day)")
        axes.set_title(title)
        left_out = len(sample) - len(points)
        note = f"{len(points):,} users drawn" + (
            f"; {left_out:,} with zero IN or OUT not drawn" if left_out else ""
        )
        return to_png(figure, f"{footnote} {note}.")
