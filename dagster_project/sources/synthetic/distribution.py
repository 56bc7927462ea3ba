"""The per-user daily volume model: a density over log10(bytes/day).

One population (service, direction, year) is a mixture of three parts, all on the log axis:

* the bulk of users: a cusp at the mode with an exponential flank on each side (an asymmetric
  Laplace law, i.e. a double-Pareto law on the linear axis) whose right flank is tapered by a
  Gaussian factor so that every moment is finite; the cusp is what makes the mode a sharp,
  well-defined 0.05-decade bin;
* light users (occasional use): a normal part `light_offset` decades below the mode, as wide
  as `light_sd`; it carries the long left flank that puts the median well below the mode;
* heavy users (heavy uploaders in IN): a normal bump `heavy_offset` decades above the mode.

The published curves are single smooth peaks, close to log-normal on the semi-log plot. A
narrow light part a decade or more below the mode shows as a shoulder or a plateau on the
left flank, so its width and offset are fitted too, under the constraint measured by
`flank_dip`: on each flank the histogram climbs towards the peak bin by bin, with steps that
grow (and at most shrink again near the peak), never a flat stretch followed by a second
climb. A wide light part merges into the flank instead of sitting on it; keeping the light
users as their own part, rather than one skewed law, keeps every statistic a smooth
function of few parameters with a plain meaning.

Statistics (mean, median, top-user shares, binned histogram, flank shape) are computed on a
fine grid, which keeps them smooth in the parameters so that `scipy.optimize` can fit them.
"""

from dataclasses import asdict, dataclass, fields

import numpy as np

GRID_STEP = 0.001  # decades
GRID_BELOW_MODE = 8.0
GRID_ABOVE_MODE = 6.0
MODE_BIN_WIDTH = 0.05  # decades, as in the report's mode definition
EXTREME_FRACTION = 1e-4
FLANK_FLOOR = 0.02  # bins below this fraction of the peak bin are tail, not flank


@dataclass(frozen=True)
class VolumeDistribution:
    """Density of log10(daily bytes) of one user population; see the module docstring."""

    mode_log10: float
    left_rate: float
    right_rate: float
    right_taper: float
    light_weight: float
    light_offset: float
    light_sd: float
    heavy_weight: float
    heavy_offset: float
    heavy_sd: float

    @classmethod
    def from_dict(cls, values: dict[str, float]) -> "VolumeDistribution":
        return cls(**{f.name: float(values[f.name]) for f in fields(cls)})

    def to_dict(self) -> dict[str, float]:
        return {key: round(float(value), 6) for key, value in asdict(self).items()}

    def shifted(self, decades: float) -> "VolumeDistribution":
        """The same shape moved along the log axis (every volume times 10**decades)."""
        values = asdict(self)
        values["mode_log10"] = self.mode_log10 + decades
        return VolumeDistribution(**values)

    def grid(self) -> np.ndarray:
        offsets = np.arange(-GRID_BELOW_MODE, GRID_ABOVE_MODE + GRID_STEP / 2, GRID_STEP)
        return self.mode_log10 + offsets

    def component_densities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit-mass densities of the bulk, light and heavy parts on the grid `x`."""
        y = x - self.mode_log10
        bulk = np.where(
            y < 0,
            np.exp(self.left_rate * np.minimum(y, 0)),
            np.exp(
                -self.right_rate * np.maximum(y, 0)
                - 0.5 * (np.maximum(y, 0) / self.right_taper) ** 2
            ),
        )
        bulk = bulk / (bulk.sum() * GRID_STEP)
        light = _normal(y + self.light_offset, self.light_sd)
        heavy = _normal(y - self.heavy_offset, self.heavy_sd)
        return bulk, light, heavy

    def density(self, x: np.ndarray) -> np.ndarray:
        bulk, light, heavy = self.component_densities(x)
        bulk_weight = 1.0 - self.light_weight - self.heavy_weight
        return bulk_weight * bulk + self.light_weight * light + self.heavy_weight * heavy

    def heavy_split(self) -> tuple["GridLaw", "GridLaw"]:
        """The heavy part and everything else, each as its own law (for flagging heavy users)."""
        x = self.grid()
        bulk, light, heavy = self.component_densities(x)
        rest = (1.0 - self.light_weight - self.heavy_weight) * bulk + self.light_weight * light
        return GridLaw(x, heavy), GridLaw(x, rest)

    def law(self) -> "GridLaw":
        x = self.grid()
        return GridLaw(x, self.density(x))

    def statistics(self) -> "VolumeStatistics":
        return self.law().statistics()


@dataclass(frozen=True)
class VolumeStatistics:
    """Population statistics of daily volume, in bytes (shares as fractions)."""

    mean: float
    median: float
    mode_bin: int  # index k of the fullest 0.05-decade bin: centre 10**(k/20) bytes
    top1_share: float
    top10_share: float
    extreme_share: float  # share of the top 0.01 %: keep small, or sample means wander
    peak_margin: float  # 1 - (fullest neighbour bin / peak bin), after light smoothing
    flank_dip: float  # 0 for a single smooth peak; see `flank_dip`


class GridLaw:
    """A density tabulated on an even grid of log10(bytes): quantiles and statistics."""

    def __init__(self, x: np.ndarray, density: np.ndarray) -> None:
        mass = density * GRID_STEP
        total = mass.sum()
        if not total > 0:
            raise ValueError("empty density")
        self.x = x
        self.mass = mass / total
        self.cdf = np.cumsum(self.mass)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """log10(bytes) at probabilities `u` (inverse CDF, linear between grid points)."""
        return np.interp(u, self.cdf, self.x)

    def statistics(self) -> VolumeStatistics:
        volume = 10.0**self.x
        mean = float(np.sum(self.mass * volume))
        cumulative_volume = np.cumsum(self.mass * volume)

        def top_share(fraction: float) -> float:
            below = np.interp(1.0 - fraction, self.cdf, cumulative_volume)
            return float(1.0 - below / mean)

        masses, first_bin = self.bin_masses()
        peak = int(np.argmax(masses))
        return VolumeStatistics(
            mean=mean,
            median=float(10.0 ** np.interp(0.5, self.cdf, self.x)),
            mode_bin=first_bin + peak,
            top1_share=top_share(0.01),
            top10_share=top_share(0.10),
            extreme_share=top_share(EXTREME_FRACTION),
            peak_margin=peak_margin(masses),
            flank_dip=flank_dip(masses),
        )

    def bin_masses(self) -> tuple[np.ndarray, int]:
        """Mass per 0.05-decade bin centred on multiples of 0.05; returns (masses, first k)."""
        k = np.round(self.x / MODE_BIN_WIDTH).astype(np.int64)
        first = int(k.min())
        return np.bincount(k - first, weights=self.mass), first


def peak_margin(masses: np.ndarray) -> float:
    """How clearly the fullest bin stands out, raw and after light smoothing.

    The smallest relative gap between the peak bin and its two neighbours, over the raw
    histogram and its 3-bin moving average ([1, 1, 1] / 3, what the usage_summary mart
    applies) and [1, 2, 1] / 4 smoothing; negative when a smoothing moves the peak.
    """
    peak = int(np.argmax(masses))
    margins = []
    for kernel in ([1.0], [1 / 3, 1 / 3, 1 / 3], [0.25, 0.5, 0.25]):
        series = np.convolve(masses, kernel, mode="same")
        if int(np.argmax(series)) != peak:
            return -1.0
        neighbours = max(series[max(peak - 1, 0)], series[min(peak + 1, len(series) - 1)])
        margins.append(1.0 - float(neighbours) / float(series[peak]))
    return min(margins)


def flank_dip(masses: np.ndarray) -> float:
    """How far the histogram is from one smooth peak: 0 when it is, about 0.1 for a shoulder.

    On each side of the fullest bin, over the bins holding at least FLANK_FLOOR of the peak
    bin, the histogram must climb towards the peak bin by bin (a bin that does not climb
    counts as a dip of the whole steepest step), and its steps must be unimodal: steeper and
    steeper, then possibly gentler, but never gentler and then steeper again, which is what
    a plateau or a second bump on a flank looks like. The result is the deepest such sag of
    a step below the steeper steps on both sides of it, relative to the steepest step.
    """
    peak = int(np.argmax(masses))
    flank = np.flatnonzero(masses >= FLANK_FLOOR * masses[peak])
    low, high = int(flank.min()), int(flank.max())
    rises = np.diff(masses[low : peak + 1])
    falls = -np.diff(masses[peak : high + 1])[::-1]  # ordered from the tail towards the peak
    return max(_step_sag(rises), _step_sag(falls))


def _step_sag(steps: np.ndarray) -> float:
    if len(steps) == 0:
        return 0.0
    steepest = float(steps.max())
    if steepest <= 0 or steps.min() <= 0:
        return 1.0
    before = np.maximum.accumulate(steps)
    after = np.maximum.accumulate(steps[::-1])[::-1]
    return float(np.max(np.minimum(before, after) - steps)) / steepest


def _normal(y: np.ndarray, sd: float) -> np.ndarray:
    return np.exp(-0.5 * (y / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
