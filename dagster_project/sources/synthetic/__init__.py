"""The built-in synthetic source: a week of raw inputs calibrated to the published report.

Public interface (what `dagster_project.sources.week_load` calls): `SyntheticConfig`,
`subscriber_frames`, `flow_batches`, `monthly_totals` and `provenance` (`assignments` and
`usage_counters` give a small week's frames whole). Every output is a pure function of
(config, week): the same seed gives the same rows.

Addresses come as the numbers the raw lake stores; `flows_as_text` and `assignments_as_text`
write them out in the records' canonical shape, for tools and tests that write files.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from threading import Lock

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.pipelining.prefetch import Prefetched
from dagster_project.sources.synthetic import diurnal
from dagster_project.sources.synthetic.addresses import (
    AddressBook,
    Numbers,
    address_book,
    assignment_columns,
    network_text,
)
from dagster_project.sources.synthetic.daily_volumes import DIRECTIONS, DailyVolumes
from dagster_project.sources.synthetic.flows import FlowUsers, flow_tables, flows_as_text
from dagster_project.sources.synthetic.labels import chosen_labels, repeated_label
from dagster_project.sources.synthetic.monthly import monthly_table
from dagster_project.sources.synthetic.parameters import load_parameters
from dagster_project.sources.synthetic.population import Group, population, week_rng
from dagster_project.sources.synthetic.synthetic_config import SyntheticConfig
from dagster_project.weeks.analysis_week import AnalysisWeek

__all__ = [
    "SyntheticConfig",
    "assignments",
    "assignments_as_text",
    "flow_batches",
    "flows_as_text",
    "forget_generated_weeks",
    "ids_as_text",
    "monthly_totals",
    "provenance",
    "subscriber_frames",
    "usage_counters",
]

SOURCE_LABEL = "synthetic"
ADDRESS_STREAM, COUNTER_STREAM, FLOW_STREAM = 2, 3, 4
SUBSCRIBER_BATCH_USERS = 1_000_000  # per batch of assignments and counters (flows: users_per_batch)
SUBSCRIBER_TABLES = ("assignments", "usage_counters")
COUNTER_ACCESSES = ("ipoe", "mobile")  # IPoE has no flow detail, mobile is billed
NETWORK_COLUMNS = ("network_hi", "network_lo", "prefix_len")


# A batch of users' rows: "assignments", and "usage_counters" where the access has them.
SubscriberBatch = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Access:
    """All users of one access in a week (personal first, then enterprise) and their addresses."""

    groups: tuple[Group, ...]
    book: AddressBook

    def column(self, name: str) -> np.ndarray:
        return np.concatenate([getattr(group, name) for group in self.groups])


# The accesses of a week in the order they are drawn (`population`'s order).
ACCESS_KEYS = ("pppoe", "ipoe", "mobile", "pppoe-unassigned", "mobile-unassigned")
KEPT_WEEKS = 2  # a week's frames and its flows are asked for separately


def _drawn_accesses(week_start: date, config: SyntheticConfig) -> Iterator[Access]:
    """Each access of ACCESS_KEYS in turn: its users, then their addresses."""
    rng = week_rng(config, week_start, ADDRESS_STREAM)
    for key, groups in zip(ACCESS_KEYS, population(week_start, config), strict=True):
        access, _, unassigned = key.partition("-")
        size = sum(group.size for group in groups)
        yield Access(groups, address_book(access, size, bool(unassigned), rng))


class GeneratedWeek:
    """The accesses of one week, drawn in a thread of their own from the moment the week is
    asked for, one after the other: the first access's frames are handed over (and written)
    while the later ones are still drawn, instead of after the whole population (tens of
    seconds on one core for a large week). The draws are the same as drawing them in turn."""

    def __init__(self, week_start: date, config: SyntheticConfig) -> None:
        drawn = _drawn_accesses(week_start, config)
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthetic-population")
        # one worker: the accesses are drawn in ACCESS_KEYS order, each from the generator
        self._accesses = {key: worker.submit(next, drawn) for key in ACCESS_KEYS}
        worker.shutdown(wait=False)

    def __getitem__(self, key: str) -> Access:
        return self._accesses[key].result()

    def cancel(self) -> None:
        """Draw no more accesses (those already drawn stay)."""
        for access in self._accesses.values():
            access.cancel()


_generated_weeks: dict[tuple[date, SyntheticConfig], GeneratedWeek] = {}
_generated_weeks_lock = Lock()  # the load asks from its prefetching thread


def _week(week_start: date, config: SyntheticConfig) -> GeneratedWeek:
    key = (week_start, config)
    with _generated_weeks_lock:
        if key not in _generated_weeks:
            if len(_generated_weeks) == KEPT_WEEKS:
                _generated_weeks.pop(next(iter(_generated_weeks))).cancel()
            _generated_weeks[key] = GeneratedWeek(week_start, config)
        return _generated_weeks[key]


def forget_generated_weeks() -> None:
    """Free the populations kept for the frames of a week (gigabytes for a large week): the
    week's frames have all been handed over, or the load stopped."""
    with _generated_weeks_lock:
        for week in _generated_weeks.values():
            week.cancel()
        _generated_weeks.clear()


def _source_file(kind: str, config: SyntheticConfig, week: AnalysisWeek) -> str:
    return f"synthetic://{kind}/seed={config.seed}/week={week.key}"


def _arrow(values: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Arrow-backed pandas column: no per-row Python strings for millions of rows."""
    return pd.arrays.ArrowExtensionArray(values)


def _repeated(value: str, length: int) -> pd.api.extensions.ExtensionArray:
    """One value for every row, dictionary-encoded: a plain string column of tens of millions
    of rows outgrows Arrow's 2 GiB string offsets (and the memory)."""
    return _arrow(repeated_label(value, length))


@dataclass(frozen=True)
class UserLabels:
    """The labels of a batch of one access's users: their ids and classes, one per user, and
    the service and access they share; a frame takes them for its rows (`of_rows`)."""

    service: str
    access: str
    subscriber_ids: pa.Array
    customer_classes: pa.DictionaryArray

    def of_rows(self, users: np.ndarray) -> dict[str, pd.api.extensions.ExtensionArray]:
        """The labels of each row, `users` the position of each row's user in the batch.

        The ids come as a dictionary of the batch's ids, an index per row: a user's days and
        assignments repeat no text, and the load pseudonymizes each id of the dictionary
        once instead of joining every row to its pseudonym."""
        positions = pa.array(users.astype(np.int32))
        return {
            "subscriber_id": _arrow(pa.DictionaryArray.from_arrays(positions, self.subscriber_ids)),
            "service": _repeated(self.service, len(users)),
            "access": _repeated(self.access, len(users)),
            "customer_class": _arrow(self.customer_classes.take(positions)),
        }


def _labels(access: Access, users: range) -> UserLabels:
    """The labels of the given users of the access.

    Ids are formatted for these users only, by Arrow: a frame of a large population costs
    its own rows, not the population's."""
    index = np.arange(users.start, users.stop)
    group_of_user = np.repeat(np.arange(len(access.groups)), [g.size for g in access.groups])
    groups = group_of_user[index]
    digits = pc.utf8_lpad(
        pc.cast(pa.array(access.column("subscriber_numbers")[index]), pa.string()), 8, "0"
    )
    prefixes = pa.array([g.id_prefix for g in access.groups]).take(pa.array(groups))
    group = access.groups[0]
    return UserLabels(
        service=group.service,
        access=group.access,
        subscriber_ids=pc.binary_join_element_wise(prefixes, digits, ""),
        customer_classes=chosen_labels([g.customer_class for g in access.groups], groups),
    )


def subscriber_frames(week: AnalysisWeek, config: SyntheticConfig) -> Iterator[SubscriberBatch]:
    """The assignments (who held which address or prefix when) and the daily volumes of IPoE
    and mobile subscribers (canonical columns minus week_start), a batch of at most
    SUBSCRIBER_BATCH_USERS users of one access at a time: both tables' rows of the same
    users come together, so that the load hashes each subscriber id once for both, and the
    rows of a large population never exist as one frame. The daily volumes are drawn with the
    batch (`DailyVolumes`), so the rows do not depend on the batch size."""
    files = {table: _source_file(table, config, week) for table in SUBSCRIBER_TABLES}
    for access, held, volumes in _accesses_ahead(week, config):
        everyone = len(access.book.has_ipv6)
        for first in range(0, everyone, SUBSCRIBER_BATCH_USERS):
            users = range(first, min(first + SUBSCRIBER_BATCH_USERS, everyone))
            labels = _labels(access, users)
            batch = {"assignments": _assignment_frame(labels, held, users, files["assignments"])}
            if volumes is not None:
                daily = volumes.of_users(users)
                counters = _counter_frame(labels, daily, users, week, files["usage_counters"])
                batch["usage_counters"] = counters
            yield batch


SubscriberAccess = tuple[Access, dict[str, np.ndarray], DailyVolumes | None]


def _accesses_ahead(week: AnalysisWeek, config: SyntheticConfig) -> Iterator[SubscriberAccess]:
    """PPPoE, IPoE and mobile in turn: the access, its assignment rows and its daily volumes
    (where it has counters). The next access's are made in a thread of their own while the
    caller cuts this one's batches: its assignment rows take seconds on one core at 100M
    flows, which the load otherwise waited for at each access."""

    def prepared(key: str) -> SubscriberAccess:
        access = _week(week.start, config)[key]
        held = assignment_columns(access.book, week.utc_start)
        volumes = _daily_volumes(access, week, config, key) if key in COUNTER_ACCESSES else None
        return access, held, volumes

    return Prefetched(prepared(key) for key in ("pppoe", "ipoe", "mobile"))


def _assignment_frame(
    labels: UserLabels, held: dict[str, np.ndarray], users: range, source_file: str
) -> pd.DataFrame:
    """The assignments of the access's `users` (`labels`: theirs)."""
    rows = (held["user"] >= users.start) & (held["user"] < users.stop)
    frame = pd.DataFrame(labels.of_rows(held["user"][rows] - users.start))
    for name in (*NETWORK_COLUMNS, "valid_from", "valid_to"):
        frame[name] = held[name][rows]
    frame["source_file"] = _repeated(source_file, len(frame))
    return frame


def _daily_volumes(
    access: Access, week: AnalysisWeek, config: SyntheticConfig, key: str
) -> DailyVolumes:
    service = access.groups[0].service
    return DailyVolumes(
        weekly={d: 7 * access.column(f"daily_{d}") for d in DIRECTIONS},
        day_shapes={d: diurnal.day_weights(service, d, week.start) for d in DIRECTIONS},
        stream=(config.seed, week.start.toordinal(), COUNTER_STREAM, ACCESS_KEYS.index(key)),
    )


def _counter_frame(
    labels: UserLabels,
    daily: dict[str, np.ndarray],
    users: range,
    week: AnalysisWeek,
    source_file: str,
) -> pd.DataFrame:
    """The daily volumes `daily` of the access's `users` (`labels`: theirs), a row per user
    and day."""
    # the week's days as Arrow dates (days since 1970): no Python object per row
    first_day = (np.datetime64(week.start, "D") - np.datetime64("1970-01-01", "D")).astype(np.int32)
    week_days = np.tile(first_day + np.arange(7, dtype=np.int32), len(users))
    # each user's labels are made once and repeated for its seven days
    frame = pd.DataFrame(labels.of_rows(np.repeat(np.arange(len(users)), 7)))
    frame["day"] = _arrow(pa.array(week_days).cast(pa.date32()))
    frame["bytes_in"] = daily["in"].ravel()
    frame["bytes_out"] = daily["out"].ravel()
    frame["source_file"] = _repeated(source_file, len(frame))
    return frame


def assignments(week: AnalysisWeek, config: SyntheticConfig) -> pd.DataFrame:
    """All assignments of the week as one frame (for small weeks: tests and tools)."""
    frames = [batch["assignments"] for batch in subscriber_frames(week, config)]
    return ids_as_text(pd.concat(frames, ignore_index=True))


def assignments_as_text(assignments: pd.DataFrame) -> pd.DataFrame:
    """Assignments with their networks written out as `address` (bare IPv4, IPv6 CIDR), in
    place of the numbers: the records' canonical shape."""
    networks = Numbers(assignments["network_hi"].to_numpy(), assignments["network_lo"].to_numpy())
    text = network_text(networks, assignments["prefix_len"].to_numpy())
    frame = assignments.drop(columns=list(NETWORK_COLUMNS))
    frame.insert(assignments.columns.get_loc("network_hi"), "address", _arrow(text))
    return frame


def usage_counters(week: AnalysisWeek, config: SyntheticConfig) -> pd.DataFrame:
    """All daily volumes of the week as one frame (for small weeks: tests and tools)."""
    frames = [
        batch["usage_counters"]
        for batch in subscriber_frames(week, config)
        if "usage_counters" in batch
    ]
    return ids_as_text(pd.concat(frames, ignore_index=True))


def ids_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Frames of several batches with their subscriber ids as text, as tools and tests read
    them: each batch gives its ids as a dictionary of its own users (`UserLabels`), which
    pandas can neither sort nor compare across batches."""
    return frame.astype({"subscriber_id": pd.ArrowDtype(pa.string())})


def flow_batches(week: AnalysisWeek, config: SyntheticConfig) -> Iterator[pa.Table]:
    """Sampled flow records of the week, streamed in batches (canonical columns minus week_start).

    PPPoE subscribers' volumes travel only in flows; mobile flows come from the first
    `mobile_flow_users` phones and serve the port statistics (volumes come from billing).
    IPoE has no flow export. A little traffic involves addresses nobody holds.
    """
    accesses = _week(week.start, config)
    mobile = accesses["mobile"]
    personal, enterprise = mobile.groups
    observed_enterprise = round(enterprise.size * config.mobile_flow_users / personal.size)
    observed = np.concatenate(
        [np.arange(config.mobile_flow_users), personal.size + np.arange(observed_enterprise)]
    )
    groups = [
        _flow_users(accesses["pppoe"]),
        _flow_users(accesses["pppoe-unassigned"]),
        _flow_users(mobile, observed),
        _flow_users(accesses["mobile-unassigned"]),
    ]

    def rng_for(batch: int) -> np.random.Generator:
        return np.random.default_rng([config.seed, week.start.toordinal(), FLOW_STREAM, batch])

    for batch in flow_tables(groups, week, config, rng_for):
        yield batch
        yield from _copies(batch, config.flow_copies)


def _copies(batch: pa.Table, copies: int) -> Iterator[pa.Table]:
    """The batch again `copies - 1` times, each under the source file `<file>/copy=<n>`."""
    position = batch.schema.get_field_index("source_file")
    source_file = batch["source_file"][0].as_py() if batch.num_rows else ""
    for copy in range(1, copies):
        renamed = repeated_label(f"{source_file}/copy={copy}", batch.num_rows)
        yield batch.set_column(position, batch.schema.field(position), renamed)


def _flow_users(access: Access, users: np.ndarray | None = None) -> FlowUsers:
    weekly_out = 7 * access.column("daily_out")
    weekly_in = 7 * access.column("daily_in")
    book = access.book
    if users is not None:
        weekly_out, weekly_in, book = weekly_out[users], weekly_in[users], book.subset(users)
    return FlowUsers(access.groups[0].service, weekly_out, weekly_in, book)


def monthly_totals(config: SyntheticConfig) -> pd.DataFrame:
    """Monthly traffic per service, access and direction (canonical columns)."""
    parameters = load_parameters(config.parameters_path)
    users = {
        "broadband": (config.pppoe_users + config.ipoe_users) * (1 + config.enterprise_share),
        "mobile": config.mobile_users * (1 + config.enterprise_share),
    }
    table = monthly_table(parameters["monthly"], users, config.seed)
    table["source_file"] = f"synthetic://monthly_totals/seed={config.seed}"
    return table


def provenance(config: SyntheticConfig) -> dict[str, str | int]:
    """What report and figure code show about where the data came from."""
    parameters = load_parameters(config.parameters_path)
    return {
        "source": SOURCE_LABEL,
        "generator": "dagster_project.sources.synthetic",
        "seed": config.seed,
        "pppoe_users": config.pppoe_users,
        "ipoe_users": config.ipoe_users,
        "mobile_users": config.mobile_users,
        "mobile_flow_users": config.mobile_flow_users,
        "sampling_interval": config.sampling_interval,
        # shown where it applies: copies make the volumes no longer the calibrated ones
        **({"flow_copies": config.flow_copies} if config.flow_copies > 1 else {}),
        "calibrated_to": parameters["calibrated_to"],
        "note": "Synthetic data calibrated to published statistics; not real traffic.",
    }
