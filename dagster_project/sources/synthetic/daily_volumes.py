"""The synthetic usage counters' days: each user's weekly volumes split over the days of the
week, in whole bytes that add up to the week exactly."""

from dataclasses import dataclass

import numpy as np

DAILY_NOISE_SD = 0.35  # day-to-day variation of one user's volume (log-normal)
# users whose days are drawn together, from one random stream (a multiple divides the batches)
COUNTER_BLOCK_USERS = 250_000
DIRECTIONS = ("out", "in")


@dataclass(frozen=True)
class DailyVolumes:
    """How the weekly volumes of an access's users split over the days of the week.

    The days are drawn for blocks of COUNTER_BLOCK_USERS users, each block from a random
    stream of its own, when a batch of users asks for them: a batch costs its own draws, in
    the load's generating thread while the previous batch is written (drawing the accesses
    whole took 16 s at 100M flows in which the load waited, and held their volumes twice), and
    the volumes do not depend on how the users are batched."""

    weekly: dict[str, np.ndarray]  # per direction, each user's bytes of the week
    day_shapes: dict[str, np.ndarray]  # per direction, the week's share of each day
    stream: tuple[int, ...]

    def of_users(self, users: range) -> dict[str, np.ndarray]:
        """Bytes per user and day (len(users) x 7) per direction."""
        blocks = range(
            users.start // COUNTER_BLOCK_USERS, (users.stop - 1) // COUNTER_BLOCK_USERS + 1
        )
        drawn = [self._block(block) for block in blocks]
        skipped = users.start - blocks.start * COUNTER_BLOCK_USERS
        return {
            d: np.concatenate([block[d] for block in drawn])[skipped : skipped + len(users)]
            for d in DIRECTIONS
        }

    def _block(self, block: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([*self.stream, block])
        users = slice(block * COUNTER_BLOCK_USERS, (block + 1) * COUNTER_BLOCK_USERS)
        return {
            d: split_over_days(self.weekly[d][users], self.day_shapes[d], rng) for d in DIRECTIONS
        }


def split_over_days(weekly: np.ndarray, shape: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole bytes per user and day (n x 7) that add up exactly to each user's weekly total."""
    # in place where it can be (half the time of fresh arrays for tens of millions of users);
    # the same numbers as shape * draws, cumulative shares * totals, and their differences
    weights = rng.lognormal(0.0, DAILY_NOISE_SD, size=(len(weekly), 7))
    weights *= shape
    edges = np.cumsum(weights, axis=1)
    edges /= weights.sum(axis=1, keepdims=True)
    edges *= np.round(weekly).astype(np.int64)[:, None]
    whole = np.round(edges, out=edges).astype(np.int64)
    daily = np.empty_like(whole)
    daily[:, 0] = whole[:, 0]
    np.subtract(whole[:, 1:], whole[:, :-1], out=daily[:, 1:])
    return daily
