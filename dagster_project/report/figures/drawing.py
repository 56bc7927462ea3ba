"""One place that fixes how every figure is drawn and encoded, so output is reproducible.

Fonts, sizes and resolution are pinned here rather than left to the user's matplotlibrc, and
the PNG writer gets no software stamp, so the same rows always give the same bytes.
"""

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# No "Software: matplotlib x.y" chunk: re-rendering the same data gives byte-identical files.
PNG_METADATA = {"Software": None}
DPI = 100

# Matplotlib ships DejaVu Sans, so the same font is found on every machine.
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": DPI,
    "path.simplify": False,
}

# A colour per compared week/year, oldest first; the newest is always the darkest.
YEAR_COLOURS = ("#9ecae1", "#74c476", "#fdae6b", "#9e9ac8", "#fb6a4a", "#08519c")
DIRECTION_COLOURS = {"OUT": "#1f4e9c", "IN": "#d9480f"}
FOOTNOTE_COLOUR = "#555555"


def colours_for(count: int) -> list[str]:
    """`count` distinct colours ending with the darkest (the newest week is drawn last)."""
    if count > len(YEAR_COLOURS):
        raise ValueError(f"at most {len(YEAR_COLOURS)} weeks fit in one figure, got {count}")
    return list(YEAR_COLOURS[-count:])


@contextmanager
def drawing(
    nrows: int = 1, ncols: int = 1, figsize: tuple[float, float] = (7.0, 4.5), **subplot_kw: Any
) -> Iterator[tuple[Any, Any]]:
    """A new figure and its axes in the pinned style; closed when the block ends."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(nrows, ncols, figsize=figsize, dpi=DPI, **subplot_kw)
        try:
            yield figure, axes
        finally:
            plt.close(figure)


def to_png(figure: Any, footnote: str) -> bytes:
    """Lay out the figure with its footnote along the bottom and encode it as PNG."""
    figure.text(0.01, 0.01, footnote, fontsize=7, color=FOOTNOTE_COLOUR, va="bottom")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata=PNG_METADATA)
    return buffer.getvalue()


SERVICES = ("broadband", "mobile")


def service_panels_over_time(
    frame: Any, draw_panel: Callable[[Any, Any, str], None], title: str, footnote: str
) -> bytes:
    """A panel per service that has rows, side by side, with dates on the x axis:
    `draw_panel(axes, frame, service)` draws one."""
    services = [service for service in SERVICES if service in set(frame["service"])]
    if not services:
        raise ValueError(f"no rows to draw for {title!r}")
    with drawing(1, len(services), figsize=(4.2 * len(services), 4), squeeze=False) as (
        figure,
        axes,
    ):
        for panel, service in zip(axes[0], services, strict=True):
            draw_panel(panel, frame, service)
        figure.suptitle(title)
        figure.autofmt_xdate()
        return to_png(figure, footnote)
