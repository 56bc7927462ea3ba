"""The knobs of the synthetic source: seed, users per service, packet sampling."""

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

PARAMETERS_PATH = Path(__file__).with_name("parameters.yaml")

Users = Annotated[int, Field(strict=True, ge=1)]


class SyntheticConfig(BaseModel):
    """What to generate. Output is a pure function of this config and the week.

    The defaults keep the built-in report quick while pinning every calibrated statistic:
    user volumes are drawn by stratified sampling (one user per 1/n quantile slice), so even
    a few thousand users reproduce the fitted histogram bin by bin. Counter-based users
    (IPoE, mobile billing) are cheap, so there are more of them than flow-based ones.
    Frozen, hence hashable: generated weeks are cached by config.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: Annotated[int, Field(strict=True, ge=0)] = 20240603
    pppoe_users: Users = 6_000  # broadband personal PPPoE subscriptions (flows)
    ipoe_users: Users = 14_000  # broadband personal IPoE subscriptions (daily counters only)
    mobile_users: Users = 24_000  # personal phone numbers (billing counters)
    # phones whose flows are exported (port statistics), at most mobile_users
    mobile_flow_users: Annotated[int, Field(strict=True, ge=0)] = 2_500
    # enterprise customers per personal customer, per access
    enterprise_share: Annotated[float, Field(strict=True, ge=0, lt=1)] = 0.05
    sampling_interval: Users = 1_000  # 1:N packet sampling of the flow exporters
    users_per_batch: Users = 20_000  # users whose flows make up one streamed batch
    # Each generated flow record handed over this many times, each copy under a source file
    # of its own: a week of many more flow records than a population that fits in memory
    # would give (load tests; per-user volumes grow with the copies).
    flow_copies: Users = 1
    parameters_path: Path = PARAMETERS_PATH

    @model_validator(mode="after")
    def _flow_users_are_mobile_users(self) -> "SyntheticConfig":
        if self.mobile_flow_users > self.mobile_users:
            raise ValueError(
                f"mobile_flow_users ({self.mobile_flow_users}) must not exceed "
                f"mobile_users ({self.mobile_users})"
            )
        return self

    def enterprise_count(self, personal_users: int) -> int:
        return round(personal_users * self.enterprise_share)
