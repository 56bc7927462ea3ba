"""The knobs of the synthetic source: seed, users per service, packet sampling."""

from dataclasses import dataclass
from pathlib import Path

PARAMETERS_PATH = Path(__file__).with_name("parameters.yaml")


@dataclass(frozen=True)
class SyntheticConfig:
    """What to generate. Output is a pure function of this config and the week.

    The defaults keep the built-in report quick while pinning every calibrated statistic:
    user volumes are drawn by stratified sampling (one user per 1/n quantile slice), so even
    a few thousand users reproduce the fitted histogram bin by bin. Counter-based users
    (IPoE, mobile billing) are cheap, so there are more of them than flow-based ones.
    """

    seed: int = 20240603
    pppoe_users: int = 6_000  # broadband personal PPPoE subscriptions (flows)
    ipoe_users: int = 14_000  # broadband personal IPoE subscriptions (daily counters only)
    mobile_users: int = 24_000  # personal phone numbers (billing counters)
    mobile_flow_users: int = 2_500  # phones whose flows are exported (port statistics)
    enterprise_share: float = 0.05  # enterprise customers per personal customer, per access
    sampling_interval: int = 1_000  # 1:N packet sampling of the flow exporters
    users_per_batch: int = 20_000  # users whose flows make up one streamed batch
    parameters_path: Path = PARAMETERS_PATH

    def __post_init__(self) -> None:
        for name in ("pppoe_users", "ipoe_users", "mobile_users", "sampling_interval"):
            if getattr(self, name) < 1:
                raise ValueError(f"SyntheticConfig.{name} must be at least 1")
        if not 0 <= self.mobile_flow_users <= self.mobile_users:
            raise ValueError("SyntheticConfig.mobile_flow_users must be within 0..mobile_users")
        if not 0 <= self.enterprise_share < 1:
            raise ValueError("SyntheticConfig.enterprise_share must be within [0, 1)")

    def enterprise_count(self, personal_users: int) -> int:
        return round(personal_users * self.enterprise_share)
