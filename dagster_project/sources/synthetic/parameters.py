"""Reading the fitted parameters file and picking the model for a given week."""

from datetime import date, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from dagster_project.sources.synthetic.distribution import VolumeDistribution
from dagster_project.sources.synthetic.monthly import level_at
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS


@cache
def load_parameters(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def model_year(week_start: date) -> int:
    """The comparison year whose fitted model a week uses: the latest at or before it."""
    earlier = [year for year, monday in COMPARISON_WEEKS.items() if monday <= week_start]
    return max(earlier) if earlier else min(COMPARISON_WEEKS)


def volume_distribution(
    parameters: dict, service: str, direction: str, week_start: date
) -> VolumeDistribution:
    """The fitted distribution of the week's model year, moved with the monthly traffic level.

    A comparison week gets its year's fit unchanged; any other week is shifted along the log
    axis by the growth of the service's monthly traffic since that comparison week.
    """
    year = model_year(week_start)
    fitted = VolumeDistribution.from_dict(parameters["volume"][service][direction][year]["model"])
    anchors = parameters["monthly"][service][direction]
    reference_day = COMPARISON_WEEKS[year] + timedelta(days=3)
    this_day = week_start + timedelta(days=3)
    shift = np.log10(level_at(anchors, this_day) / level_at(anchors, reference_day))
    return fitted.shifted(float(shift))


def port_shares(parameters: dict, service: str, week_start: date) -> dict[str, float]:
    return parameters["ports"][service][model_year(week_start)]
