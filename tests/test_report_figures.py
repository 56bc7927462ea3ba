"""Each figure function draws a valid, deterministic PNG from rows shaped like its mart."""

import io

import pytest

from dagster_project.report import figures
from tests import report_frames as frames

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _draw_all() -> dict[str, bytes]:
    note = "Synthetic data."
    return {
        "monthly": figures.monthly_traffic_figure(frames.monthly_traffic(), "Figure 1", note),
        "weekday": figures.weekday_hourly_figure(frames.weekday_hourly_traffic(), "Fig 2", note),
        "uploads": figures.weekday_hourly_figure(
            frames.weekday_hourly_traffic(), "Fig 10", note, directions=("IN",)
        ),
        "density": figures.density_figure(frames.usage_distribution(), "Figure 3", note),
        "scatter": figures.scatter_figure(frames.user_sample(), "Figure 5", note),
        "ports": figures.hourly_port_figure(frames.hourly_port_traffic(), "Figure 7", note),
        "ipv6": figures.ipv6_share_figure(frames.ipv6_share(frames.WEEKS), "Figure 12", note),
    }


@pytest.fixture(scope="module")
def drawn() -> dict[str, bytes]:
    return _draw_all()


def test_every_figure_is_a_png_without_software_stamp(drawn):
    from PIL import Image

    for name, png in drawn.items():
        assert png.startswith(PNG_SIGNATURE), name
        image = Image.open(io.BytesIO(png))
        assert image.width >= 500 and image.height >= 400, name
        assert "Software" not in image.info, name


def test_redrawing_the_same_rows_gives_identical_bytes(drawn):
    assert _draw_all() == drawn


def test_different_rows_give_a_different_figure(drawn):
    shifted = frames.usage_distribution()
    shifted["density"] *= 1.5
    assert figures.density_figure(shifted, "Figure 3", "Synthetic data.") != drawn["density"]


def test_scatter_needs_users_with_traffic_in_both_directions():
    empty = frames.user_sample(users=3)
    empty["daily_bytes_in"] = 0
    with pytest.raises(ValueError, match="no positive usage"):
        figures.scatter_figure(empty, "Figure 5", "")


def test_decade_limits_enclose_every_value():
    import numpy as np

    from dagster_project.report.figures.usage_charts import decade_limits

    assert decade_limits(np.array([0.0, 2.5e4, 9.9e9])) == (1e4, 1e10)
