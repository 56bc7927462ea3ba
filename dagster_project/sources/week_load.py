"""Loading one analysis week of raw inputs from the configured sources into the raw lake.

What the sources hand over (the generator's frames, or the readers' staged tables) goes to
the week's new files as it comes: subscriber ids replaced by their pseudonyms, the readers'
address text by its numbers (the generator hands over numbers), one file per frame or per
input file of flows. The flows of a large week are never held whole, neither in Python nor
in DuckDB; the files are swapped in together with the week's status.
"""

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.pipelining.prefetch import Prefetched
from dagster_project.sources import readers, synthetic
from dagster_project.sources.address_numbers import (
    create_address_macros,
    numbered_assignments_sql,
    numbered_flows_sql,
)
from dagster_project.sources.pseudonyms import pseudonymized_views
from dagster_project.sources.raw_lake import IncomingWeek, incoming_week, replace_whole
from dagster_project.sources.raw_schema import (
    ASSIGNMENTS,
    FLOWS,
    MONTHLY_TOTALS,
    QUARANTINE,
    USAGE_COUNTERS,
)
from dagster_project.sources.raw_tables import (
    ensure_raw_tables,
    registered,
    replace_weeks,
    stage,
    transaction,
)
from dagster_project.sources.readers.quarantine import STAGED_FLOW_NUMBERS, STAGED_FLOWS
from dagster_project.sources.source_config import FileSources, SourcesConfig
from dagster_project.warehouse import week_status
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEKLY_LAKE_TABLES = (FLOWS, ASSIGNMENTS, USAGE_COUNTERS)
LAKE_TABLE = {table.name: table for table in WEEKLY_LAKE_TABLES}
SUBSCRIBER_ID = "subscriber_id"
Item = TypeVar("Item")


@dataclass
class LoadReport:
    """What one load wrote: rows per raw table, rejected rows by reason, provenance, and the
    seconds of each phase of the load."""

    rows: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    # per open `timed` block, the seconds of the blocks timed inside it
    _nested: list[float] = field(default_factory=list, repr=False)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Add the block's wall seconds to the phase's, less those of phases timed inside it:
        each second of the load counts in one phase."""
        started = time.perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            self._add(phase, seconds - self._nested.pop())
            if self._nested:
                self._nested[-1] += seconds

    def _add(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds

    def timed_generation(self, named: Iterable[tuple[str, Item]]) -> Iterator[tuple[str, Item]]:
        """The (name, item) pairs, the seconds spent waiting for each added to the phase
        `generate <name>`."""
        iterator = iter(named)
        while True:
            started = time.perf_counter()
            pair = next(iterator, None)
            if pair is None:
                return
            self._add(f"generate {pair[0]}", time.perf_counter() - started)
            yield pair


def source_label(config: SourcesConfig) -> str:
    """'synthetic' or 'real': shown wherever data from these sources is shown."""
    return "synthetic" if config.kind == "synthetic" else "real"


def synthetic_provenance(config: synthetic.SyntheticConfig) -> dict[str, str]:
    return {key: str(value) for key, value in synthetic.provenance(config).items()}


def _file_sources(config: SourcesConfig) -> FileSources:
    if config.files is None:  # SourcesConfig requires it for kind: files
        raise ValueError("kind: files without a files section")
    return config.files


def dictionary_labels(frame: pa.Table | pd.DataFrame) -> dict[str, list[str]]:
    """The values of the frame's dictionary-encoded columns (the generator's labels,
    `synthetic.labels`), read from the dictionaries, not the rows. The subscriber ids, a
    dictionary of a batch's users (`pseudonymized_frames`), are no labels."""
    if isinstance(frame, pa.Table):
        columns = dict(zip(frame.column_names, frame.columns, strict=True))
    else:
        columns = {
            name: pa.array(column.array)
            for name, column in frame.items()
            if isinstance(column.dtype, pd.ArrowDtype)
        }
    return {
        name: list(dict.fromkeys(value for chunk in _chunks(column) for value in _values(chunk)))
        for name, column in columns.items()
        if pa.types.is_dictionary(column.type) and name != SUBSCRIBER_ID
    }


def _chunks(column: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return column.chunks if isinstance(column, pa.ChunkedArray) else [column]


def _values(chunk: pa.DictionaryArray) -> list[str]:
    return [value for value in chunk.dictionary.to_pylist() if value is not None]


def write_flows(
    con: duckdb.DuckDBPyConnection,
    incoming: IncomingWeek,
    flows: str,
    numbered_flows: str | None = None,
) -> None:
    """The flow records `flows` as the week's next file, their address text as numbers, with
    the records `numbered_flows` (addresses as numbers already) when given."""
    numbered = numbered_flows_sql(con, flows)
    if numbered_flows is not None:
        numbered = f"({numbered} union all by name select * from {numbered_flows})"
    incoming.write(FLOWS, numbered)


def write_assignments(
    con: duckdb.DuckDBPyConnection, incoming: IncomingWeek, assignments: str
) -> None:
    """The assignments `assignments` as the week's next file, their addresses as numbers."""
    create_address_macros(con)
    incoming.write(ASSIGNMENTS, f"({numbered_assignments_sql(assignments)})")


def pseudonymized(
    con: duckdb.DuckDBPyConnection, relations: dict[str, str], key: bytes
) -> dict[str, str]:
    """Per table, a view of its relation with the subscriber ids replaced by pseudonyms.

    The relations are hashed together: a subscriber in several of them (an IPoE or mobile
    user has assignments and counters) costs one keyed hash, the load's costliest per id."""
    views = pseudonymized_views(con, list(relations.values()), SUBSCRIBER_ID, key)
    return {table: views[relation] for table, relation in relations.items()}


def pseudonymized_frames(
    con: duckdb.DuckDBPyConnection, frames: Mapping[str, pd.DataFrame], key: bytes
) -> dict[str, pd.DataFrame]:
    """The frames with their subscriber ids replaced by pseudonyms, in the ids' dictionary.

    A generated batch gives each frame's ids as a dictionary of the batch's users and an
    index per row: each id of the dictionaries is hashed once (`pseudonymized_views`, an id
    of several frames once for all) and no row is joined to its pseudonym (a week's
    counters are a hundred million rows for fifteen million ids)."""
    ids = {table: _id_dictionary(frame[SUBSCRIBER_ID]) for table, frame in frames.items()}
    originals = pa.concat_arrays([column.dictionary for column in ids.values()])
    numbered = pa.table({SUBSCRIBER_ID: originals, "position": np.arange(len(originals))})
    with registered(con, "generated_ids", numbered) as relation:
        (hashed,) = pseudonymized_views(con, [relation], SUBSCRIBER_ID, key).values()
        in_order = con.sql(f"select {SUBSCRIBER_ID} from {hashed} order by position")
        pseudonyms = in_order.to_arrow_table().column(SUBSCRIBER_ID).combine_chunks()
    replaced, first = {}, 0
    for table, column in ids.items():
        dictionary = pseudonyms.slice(first, len(column.dictionary))
        first += len(column.dictionary)
        hashed_ids = pa.DictionaryArray.from_arrays(column.indices, dictionary)
        replaced[table] = frames[table].assign(
            **{SUBSCRIBER_ID: pd.arrays.ArrowExtensionArray(hashed_ids)}
        )
    return replaced


def _id_dictionary(column: pd.Series) -> pa.DictionaryArray:
    """A frame's ids as one dictionary array (encoded here when they come as text)."""
    ids = pa.array(column.array)
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    return ids if pa.types.is_dictionary(ids.type) else pc.dictionary_encode(ids)


def _write_synthetic_week(
    con: duckdb.DuckDBPyConnection,
    incoming: IncomingWeek,
    week: AnalysisWeek,
    config: synthetic.SyntheticConfig,
    report: LoadReport,
    key: bytes,
) -> None:
    """Each batch the generator hands over, written as it comes (the next one is generated
    meanwhile): the users' assignments and counters, pseudonymized together, then the flows
    (addresses as numbers already). A frame is a file."""
    subscribers = (("subscribers", batch) for batch in synthetic.subscriber_frames(week, config))
    flows = (("flows", {FLOWS.name: batch}) for batch in synthetic.flow_batches(week, config))
    # closed before the generated weeks are forgotten: the batch being made is finished first
    try:
        with closing(Prefetched(chain(subscribers, flows))) as batches:
            for _, batch in report.timed_generation(batches):
                _write_generated(con, incoming, batch, report, key)
    finally:
        synthetic.forget_generated_weeks()
    con.execute(QUARANTINE.create_staging_sql("staged_quarantine"))


def _write_generated(
    con: duckdb.DuckDBPyConnection,
    incoming: IncomingWeek,
    batch: Mapping[str, pa.Table | pd.DataFrame],
    report: LoadReport,
    key: bytes,
) -> None:
    """One generated batch into the week's files: its ids pseudonymized together first."""
    subscribers = {table: frame for table, frame in batch.items() if table != FLOWS.name}
    if subscribers:
        with report.timed("pseudonyms"):
            batch = {**batch, **pseudonymized_frames(con, subscribers, key)}
    with ExitStack() as frames:
        relations = {
            table: frames.enter_context(registered(con, f"incoming_{table}", frame))
            for table, frame in batch.items()
        }
        for table, relation in relations.items():
            with report.timed(f"write {table}"):
                labels = dictionary_labels(batch[table])
                incoming.write(LAKE_TABLE[table], relation, labels)


def _write_read_week(
    con: duckdb.DuckDBPyConnection,
    incoming: IncomingWeek,
    week: AnalysisWeek,
    sources: FileSources,
    report: LoadReport,
    key: bytes,
) -> dict[str, str]:
    """The readers' staged tables as the week's files: the flows of each input file as soon as
    it is read, the assignments and counters a file each; the sources' provenance."""

    def write_file_flows() -> None:
        with report.timed(f"write {FLOWS.name}"):
            _write_staged_flows(con, incoming)

    with report.timed("read files"):
        loads = readers.stage_week(con, week, sources, write_file_flows)
    with report.timed("pseudonyms"):
        subscribers = pseudonymized(
            con,
            {table.name: f"staged_{table.name}" for table in (ASSIGNMENTS, USAGE_COUNTERS)},
            key,
        )
    with report.timed(f"write {ASSIGNMENTS.name}"):
        write_assignments(con, incoming, subscribers[ASSIGNMENTS.name])
    with report.timed(f"write {USAGE_COUNTERS.name}"):
        incoming.write(USAGE_COUNTERS, subscribers[USAGE_COUNTERS.name])
    return readers.provenance(loads)


def _write_staged_flows(con: duckdb.DuckDBPyConnection, incoming: IncomingWeek) -> None:
    """The flows staged so far (one input file's: those with address text and those staged
    as numbers already) as the week's next file, and the staging emptied for the next."""
    staged = (STAGED_FLOWS, STAGED_FLOW_NUMBERS)
    if any(con.execute(f"select exists (from {table})").fetchone()[0] for table in staged):
        write_flows(con, incoming, *staged)
    for table in staged:
        con.execute(f"delete from {table}")


def load_week(
    con: duckdb.DuckDBPyConnection, week: AnalysisWeek, config: SourcesConfig, run_id: str
) -> LoadReport:
    """Replace one week of the raw lake's flows, assignments and usage counters and of
    raw.quarantine, with subscriber ids replaced by their pseudonyms, and mark the week
    `loaded` (its models are now older than its raw tables): all of it or nothing."""
    ensure_raw_tables(con)
    key = config.pseudonym_key()  # before reading: a missing key fails fast
    report = LoadReport()
    with incoming_week(con, week.start) as incoming:
        if config.kind == "synthetic":
            _write_synthetic_week(con, incoming, week, config.synthetic, report, key)
            report.provenance = synthetic_provenance(config.synthetic)
        else:
            sources = _file_sources(config)
            report.provenance = _write_read_week(con, incoming, week, sources, report, key)
        incoming.write_empty(WEEKLY_LAKE_TABLES)
        # The lake's week stands only if this transaction (quarantine and status) commits.
        with report.timed("swap in"), incoming.swapped_in(run_id) as rows, transaction(con):
            quarantined = replace_weeks(con, week.start, {QUARANTINE: "staged_quarantine"})
            week_status.mark_loaded(con, week.start, run_id)
    # Arrow's allocator keeps the frames' freed memory for reuse (gigabytes for a large week),
    # which the run's later steps would otherwise add to
    pa.default_memory_pool().release_unused()
    report.rows = {**rows, **quarantined}
    reasons = con.execute(
        "select reason, count(*) from raw.quarantine where week_start = ? group by reason",
        [week.start],
    ).fetchall()
    report.quarantined = {reason: int(count) for reason, count in reasons}
    return report


def load_monthly_totals(con: duckdb.DuckDBPyConnection, config: SourcesConfig) -> LoadReport:
    """Replace the lake's monthly totals from the configured source."""
    ensure_raw_tables(con)
    if config.kind == "synthetic":
        stage(con, "staged_monthly_totals", synthetic.monthly_totals(config.synthetic))
        provenance = synthetic_provenance(config.synthetic)
    else:
        provenance = readers.provenance(readers.stage_monthly_totals(con, _file_sources(config)))
    rows = replace_whole(con, MONTHLY_TOTALS, "staged_monthly_totals")
    return LoadReport(rows={MONTHLY_TOTALS.name: rows}, provenance=provenance)
