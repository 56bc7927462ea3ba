"""Fitting the per-user volume model to the published statistics (used by scripts/fit_synthetic.py).

Each population (service, direction, year) is fitted on its own with `scipy.optimize`:
the mode sits on the published 0.05-decade bin by construction, and the shape parameters
are chosen so that the model's mean and median (and, where the report publishes them, the
top-1 % and top-10 % shares) match the published values while the fullest bin stands out
from its neighbours even after a light smoothing and the histogram stays one smooth peak
(no shoulder or plateau on either flank, see `distribution.flank_dip`). Years without
published top shares borrow the tail shape of the reference year (the one that has them)
and are pulled gently towards it, so the shape drifts smoothly from year to year.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from dagster_project.sources.synthetic.distribution import VolumeDistribution, VolumeStatistics

MB = 1e6
HEAVY_SD = 0.35
MIN_PEAK_MARGIN = 0.03
# Largest sag of the histogram's steps a flank may have (0: one smooth peak; a visible
# shoulder is about 0.1).
MAX_FLANK_DIP = 0.01
# Volume share of the top 0.01 % of users the model may have: a heavier extreme tail makes the
# mean of a few thousand users hinge on a handful of them.
MAX_EXTREME_SHARE = 0.02


@dataclass(frozen=True)
class FitTarget:
    mean_mb: float
    median_mb: float
    mode_mb: float
    top1_percent: float | None = None
    top10_percent: float | None = None

    @property
    def mode_bin(self) -> int:
        """Bin index k of the published mode in bytes (its centre is 10**(k/20) bytes)."""
        return round(20 * math.log10(self.mode_mb * MB))

    @property
    def has_top_shares(self) -> bool:
        return self.top1_percent is not None and self.top10_percent is not None


@dataclass(frozen=True)
class Parameter:
    name: str
    low: float
    high: float
    start: float
    scale: float  # typical size, for the gentle pull towards the reference shape


SHAPE_PARAMETERS = (
    Parameter("left_rate", 0.4, 8.0, 2.0, 1.0),
    Parameter("right_rate", 0.1, 8.0, 2.0, 1.0),
    Parameter("right_taper", 0.15, 3.0, 0.8, 0.5),
    Parameter("light_weight", 0.0, 0.35, 0.1, 0.1),
    Parameter("light_offset", 0.4, 3.0, 1.0, 0.5),
    Parameter("light_sd", 0.3, 1.5, 0.8, 0.3),
    Parameter("heavy_weight", 0.0, 0.06, 0.015, 0.01),
    Parameter("heavy_offset", 0.2, 3.0, 1.0, 0.5),
)
# Parameters a year without published top shares may move; the rest follow the reference year.
YEAR_PARAMETERS = (
    "left_rate",
    "right_rate",
    "right_taper",
    "light_weight",
    "light_offset",
    "light_sd",
)


def distribution_from(
    mode_bin: int, values: dict[str, float], fixed: dict[str, float] | None = None
) -> VolumeDistribution:
    merged = {"heavy_sd": HEAVY_SD, **(fixed or {}), **values}
    return VolumeDistribution.from_dict({"mode_log10": mode_bin / 20, **merged})


def residuals(statistics: VolumeStatistics, target: FitTarget) -> list[float]:
    """Misfit in units of 1 % (2.3 % for mean and median), of a whole bin or of 1.5 share points."""
    misfit = [
        100 * math.log10(statistics.mean / (target.mean_mb * MB)),
        100 * math.log10(statistics.median / (target.median_mb * MB)),
        80 * max(0.0, MIN_PEAK_MARGIN - statistics.peak_margin),
        100 * max(0.0, statistics.extreme_share - MAX_EXTREME_SHARE),
        300 * max(0.0, statistics.flank_dip - MAX_FLANK_DIP),
        5 * (statistics.mode_bin - target.mode_bin),
    ]
    if target.has_top_shares:
        misfit += [
            (100 * statistics.top1_share - target.top1_percent) / 1.5,
            (100 * statistics.top10_share - target.top10_percent) / 1.5,
        ]
    return misfit


def fit_distribution(
    target: FitTarget, reference: VolumeDistribution | None = None
) -> VolumeDistribution:
    """Fit one population; `reference` supplies the tail shape when top shares are unknown."""
    if reference is None:
        free = SHAPE_PARAMETERS
        fixed: dict[str, float] = {}
        anchor = {p.name: p.start for p in SHAPE_PARAMETERS}
    else:
        free = tuple(p for p in SHAPE_PARAMETERS if p.name in YEAR_PARAMETERS)
        reference_values = reference.to_dict()
        fixed = {p.name: reference_values[p.name] for p in SHAPE_PARAMETERS if p not in free}
        anchor = {p.name: reference_values[p.name] for p in free}
    pull = 0.002 if reference is None else 0.02

    def objective(vector: np.ndarray) -> list[float]:
        values = dict(zip((p.name for p in free), vector, strict=True))
        statistics = distribution_from(target.mode_bin, values, fixed).statistics()
        regularisation = [pull * (values[p.name] - anchor[p.name]) / p.scale for p in free]
        return residuals(statistics, target) + regularisation

    start = np.array([min(max(anchor[p.name], p.low), p.high) for p in free])
    solution = optimize.least_squares(
        objective,
        start,
        bounds=([p.low for p in free], [p.high for p in free]),
        diff_step=1e-4,
        x_scale=[p.scale for p in free],
    )
    values = dict(zip((p.name for p in free), solution.x, strict=True))
    return distribution_from(target.mode_bin, values, fixed)


def describe_fit(distribution: VolumeDistribution, target: FitTarget) -> dict[str, float]:
    """What the fitted model implies next to what it was fitted to, for the parameters file."""
    statistics = distribution.statistics()
    achieved = {
        "mean_mb": round(statistics.mean / MB, 3),
        "median_mb": round(statistics.median / MB, 3),
        "mode_mb": round(10 ** (statistics.mode_bin / 20) / MB, 3),
        "top1_percent": round(100 * statistics.top1_share, 2),
        "top10_percent": round(100 * statistics.top10_share, 2),
        "top0.01_percent": round(100 * statistics.extreme_share, 2),
        "peak_margin": round(float(statistics.peak_margin), 4),
        "flank_dip": round(float(statistics.flank_dip), 4),
    }
    return achieved


def volume_targets(published: dict, service: str, direction: str) -> dict[int, FitTarget]:
    tops = published["top_user_shares"][service][direction]
    targets = {}
    for year, stats in published["daily_usage"][service][direction].items():
        top = tops.get(year, {})
        targets[int(year)] = FitTarget(
            stats["mean"], stats["median"], stats["mode"], top.get("top1"), top.get("top10")
        )
    return targets


def fit_volumes(published: dict, years: list[int]) -> dict:
    """Fitted model, target and achieved statistics per service, direction and year."""
    result: dict = {}
    for service in ("broadband", "mobile"):
        for direction in ("in", "out"):
            targets = volume_targets(published, service, direction)
            reference_year = max(y for y, t in targets.items() if t.has_top_shares)
            reference = fit_distribution(targets[reference_year])
            entries = {}
            for year in years:
                target = targets[year]
                model = reference if year == reference_year else fit_distribution(target, reference)
                entries[year] = {
                    "model": model.to_dict(),
                    "target": {k: v for k, v in vars(target).items() if v is not None},
                    "achieved": describe_fit(model, target),
                }
            result.setdefault(service, {})[direction] = entries
    return result


def fit_parameters(published: dict, years: list[int]) -> dict:
    """Everything the generator reads: volume models, port mixes and monthly anchors."""
    from dagster_project.sources.synthetic.monthly import derive_anchors
    from dagster_project.sources.synthetic.port_mix import port_mix

    return {
        "calibrated_to": published["source"],
        "volume": fit_volumes(published, years),
        "ports": {
            service: {year: port_mix(table, year) for year in years}
            for service, table in published["port_shares"].items()
        },
        "monthly": derive_anchors(published["growth"]),
    }
