"""The subscribers of one synthetic week and their daily volumes.

Volumes are drawn by stratified sampling: user i of a group of n gets the quantile
(perm(i) + U) / n of the fitted distribution, so the group's histogram follows the model
bin by bin even for a few thousand users, while every user is still random. IN is tied to
OUT by a Gaussian copula on the ranks (uploads follow downloads, about a tenth of them),
except for the heavy uploaders: a random set drawn from the heavy part of the IN model.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import NamedTuple

import numpy as np
from scipy import special

from dagster_project.sources.synthetic.distribution import VolumeDistribution
from dagster_project.sources.synthetic.parameters import load_parameters, volume_distribution
from dagster_project.sources.synthetic.synthetic_config import SyntheticConfig

IN_OUT_RANK_CORRELATION = 0.8
# Enterprise customers are not calibrated (the report leaves them out of per-user figures):
# their volumes are the personal model moved up, uploads more so on mobile.
ENTERPRISE_SHIFT = {
    ("broadband", "out"): 0.4,
    ("broadband", "in"): 0.6,
    ("mobile", "out"): 0.4,
    ("mobile", "in"): 1.0,
}
# Traffic of addresses nobody holds: about 1 % of flow users at half the volume.
UNASSIGNED_USERS_PER_100 = 1
UNASSIGNED_SHIFT = -0.3
UNASSIGNED_NUMBERS_FROM = 90_000_000  # ids of nobody: such addresses appear in no table
DUAL_ACCESS_SHARE = 0.3  # IPoE subscriptions whose holder also has a PPPoE subscription


@dataclass(frozen=True)
class Group:
    """A set of users that share service, access and customer class."""

    service: str
    access: str
    customer_class: str
    assigned: bool  # False: addresses nobody holds (traffic that matches no subscriber)
    subscriber_numbers: np.ndarray  # numeric part of the subscriber id
    daily_out: np.ndarray  # bytes/day
    daily_in: np.ndarray

    @property
    def size(self) -> int:
        return len(self.subscriber_numbers)

    @property
    def id_prefix(self) -> str:
        """What a subscriber id starts with; its number follows in (at least) 8 digits."""
        if self.service == "mobile":
            return "070" if self.customer_class == "personal" else "080"
        return "bb"


def stratified_uniforms(n: int, rng: np.random.Generator) -> np.ndarray:
    """One uniform in each slice [k/n, (k+1)/n), in random order."""
    return (rng.permutation(n) + rng.random(n)) / n


def draw_volumes(
    n: int, out_law: VolumeDistribution, in_law: VolumeDistribution, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily OUT and IN bytes for n users, and which of them are heavy uploaders."""
    u_out = stratified_uniforms(n, rng)
    log_out = out_law.law().quantile(u_out)
    heavy_law, rest_law = in_law.heavy_split()
    heavy = np.zeros(n, dtype=bool)
    heavy[rng.permutation(n)[: round(in_law.heavy_weight * n)]] = True
    log_in = np.empty(n)
    log_in[heavy] = heavy_law.quantile(stratified_uniforms(int(heavy.sum()), rng))
    rest = ~heavy
    z_out = special.ndtri(u_out[rest])
    rho = IN_OUT_RANK_CORRELATION
    z_in = rho * z_out + np.sqrt(1 - rho**2) * rng.standard_normal(len(z_out))
    ranks = np.empty(len(z_in), dtype=np.int64)
    ranks[np.argsort(z_in)] = np.arange(len(z_in))
    log_in[rest] = rest_law.quantile((ranks + rng.random(len(ranks))) / len(ranks))
    return 10.0**log_out, 10.0**log_in, heavy


class PlannedGroup(NamedTuple):
    """A group to draw: its labels, its users, how its volumes differ from the personal
    model and whether anybody holds its addresses."""

    service: str
    access: str
    customer_class: str
    size: int
    shift: float | None  # decades off the personal model; None: the enterprise shift
    assigned: bool


def week_rng(config: SyntheticConfig, week_start: date, stream: int) -> np.random.Generator:
    """Independent random stream per (seed, week, purpose): outputs never depend on each other."""
    return np.random.default_rng([config.seed, week_start.toordinal(), stream])


def population(week_start: date, config: SyntheticConfig) -> Iterator[tuple[Group, ...]]:
    """The groups of the week, an access at a time in a fixed order: PPPoE, IPoE and mobile
    (personal, then enterprise), then the users of addresses nobody holds (PPPoE, mobile).
    Each access's groups are drawn when asked for, so a caller has the first accesses before
    the rest are drawn; the draws are the same whenever it asks."""
    parameters = load_parameters(config.parameters_path)
    rng = week_rng(config, week_start, 1)
    pppoe_enterprise = config.enterprise_count(config.pppoe_users)
    ipoe_enterprise = config.enterprise_count(config.ipoe_users)
    mobile_enterprise = config.enterprise_count(config.mobile_users)
    broadband_numbers = _broadband_numbers(config, pppoe_enterprise, ipoe_enterprise, rng)

    def drawn(planned: PlannedGroup) -> Group:
        service, access, customer_class, size, shift, assigned = planned
        laws = []
        for direction in ("out", "in"):
            law = volume_distribution(parameters, service, direction, week_start)
            offset = ENTERPRISE_SHIFT[(service, direction)] if shift is None else shift
            laws.append(law.shifted(offset))
        daily_out, daily_in, _ = draw_volumes(size, laws[0], laws[1], rng)
        if not assigned:
            numbers = UNASSIGNED_NUMBERS_FROM + np.arange(size)
        elif service == "broadband":
            numbers = broadband_numbers[(service, access, customer_class)]
        else:
            numbers = np.arange(size)
        return Group(service, access, customer_class, assigned, numbers, daily_out, daily_in)

    plan = (
        PlannedGroup("broadband", "pppoe", "personal", config.pppoe_users, 0.0, True),
        PlannedGroup("broadband", "pppoe", "enterprise", pppoe_enterprise, None, True),
        PlannedGroup("broadband", "ipoe", "personal", config.ipoe_users, 0.0, True),
        PlannedGroup("broadband", "ipoe", "enterprise", ipoe_enterprise, None, True),
        PlannedGroup("mobile", "mobile", "personal", config.mobile_users, 0.0, True),
        PlannedGroup("mobile", "mobile", "enterprise", mobile_enterprise, None, True),
        PlannedGroup(
            "broadband",
            "pppoe",
            "personal",
            _unassigned(config.pppoe_users),
            UNASSIGNED_SHIFT,
            False,
        ),
        PlannedGroup(
            "mobile",
            "mobile",
            "personal",
            _unassigned(config.mobile_flow_users),
            UNASSIGNED_SHIFT,
            False,
        ),
    )
    # an access's groups follow each other in the plan (grouping the plan, not the draws)
    for _, planned in groupby(plan, key=lambda group: (group.access, group.assigned)):
        yield tuple(drawn(group) for group in planned)


def _unassigned(flow_users: int) -> int:
    return max(3, flow_users * UNASSIGNED_USERS_PER_100 // 100)


def _broadband_numbers(
    config: SyntheticConfig, pppoe_enterprise: int, ipoe_enterprise: int, rng: np.random.Generator
) -> dict[tuple[str, str, str], np.ndarray]:
    """Subscription numbers; some IPoE subscriptions belong to holders of a PPPoE one."""
    pppoe_personal = np.arange(config.pppoe_users)
    pppoe_business = config.pppoe_users + np.arange(pppoe_enterprise)
    next_number = config.pppoe_users + pppoe_enterprise
    dual = min(round(DUAL_ACCESS_SHARE * config.ipoe_users), config.pppoe_users)
    ipoe_personal = np.concatenate(
        [
            rng.choice(pppoe_personal, size=dual, replace=False),
            next_number + np.arange(config.ipoe_users - dual),
        ]
    )
    next_number += config.ipoe_users - dual
    return {
        ("broadband", "pppoe", "personal"): pppoe_personal,
        ("broadband", "pppoe", "enterprise"): pppoe_business,
        ("broadband", "ipoe", "personal"): ipoe_personal,
        ("broadband", "ipoe", "enterprise"): next_number + np.arange(ipoe_enterprise),
    }
