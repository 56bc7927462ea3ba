"""Loading the built-in synthetic week: frame by frame into the lake, pseudonymized and
numbered, with the load's phases timed."""

from collections import Counter
from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from dagster_project.sources import synthetic
from dagster_project.sources.address_numbers import halves_of
from dagster_project.sources.pseudonyms import PSEUDONYMS, SYNTHETIC_DEMO_KEY, pseudonym
from dagster_project.sources.raw_lake import lake_dir, week_folder
from dagster_project.sources.source_config import SourcesConfig
from dagster_project.sources.synthetic import SyntheticConfig
from dagster_project.sources.week_load import (
    dictionary_labels,
    load_week,
    pseudonymized,
    pseudonymized_frames,
)
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK = AnalysisWeek(date(2024, 6, 3), "Asia/Tokyo")
KEY = SYNTHETIC_DEMO_KEY
# Small batches and frames, so that every table is handed over in several.
CONFIG = SyntheticConfig(
    pppoe_users=300, ipoe_users=200, mobile_users=400, mobile_flow_users=100, users_per_batch=100
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The week loaded once, users in batches of 150; the generator's own frames."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synthetic, "SUBSCRIBER_BATCH_USERS", 150)
        warehouse = tmp_path_factory.mktemp("load") / "warehouse.duckdb"
        with duckdb.connect(str(warehouse)) as con:
            report = load_week(con, WEEK, SourcesConfig(kind="synthetic", synthetic=CONFIG), "r")
        batches = list(synthetic.subscriber_frames(WEEK, CONFIG))
        frames = {
            "flows": list(synthetic.flow_batches(WEEK, CONFIG)),
            **{
                table: [batch[table] for batch in batches if table in batch]
                for table in ("assignments", "usage_counters")
            },
        }
    return warehouse, report, frames


def rows(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_each_frame_the_generator_hands_over_is_one_file_of_the_week(loaded):
    warehouse, report, frames = loaded
    with duckdb.connect(str(warehouse), read_only=True) as con:
        root = lake_dir(con)
    for table, handed in frames.items():
        files = sorted(week_folder(root, table, WEEK.start).glob("*.parquet"))
        assert len(files) == len(handed) > 1, table
        assert report.rows[table] == sum(len(frame) for frame in handed), table


def test_the_lake_holds_the_generators_rows_pseudonymized_and_numbered(loaded):
    warehouse, _, frames = loaded
    # the generator's numbers, checked against its addresses written out and parsed again
    flows = synthetic.flows_as_text(pa.concat_tables(frames["flows"])).to_pandas()
    expected = sorted(
        (row, *halves_of(src), *halves_of(dst), size)
        for row, src, dst, size in zip(
            flows["source_row"], flows["src_addr"], flows["dst_addr"], flows["bytes"], strict=True
        )
    )
    stored = rows(
        warehouse,
        "select source_row, src_addr_hi, src_addr_lo, dst_addr_hi, dst_addr_lo, bytes "
        "from raw.flows order by all",
    )
    assert stored == expected
    counters = [frame["subscriber_id"] for frame in frames["usage_counters"]]
    ids = {pseudonym(SYNTHETIC_DEMO_KEY, str(i)) for column in counters for i in column}
    assert {s for (s,) in rows(warehouse, "select subscriber_id from raw.usage_counters")} == ids


def test_the_lake_holds_the_generators_labels_as_text(loaded):
    warehouse, _, frames = loaded
    handed = pa.concat_tables(frames["flows"]).select(["source_row", "service", "exporter"])
    expected = sorted(zip(*(column.to_pylist() for column in handed.columns), strict=True))
    stored = rows(warehouse, "select source_row, service, exporter from raw.flows order by all")
    assert stored == expected
    classes = rows(warehouse, "select distinct access, customer_class from raw.usage_counters")
    assert sorted(classes) == [
        (access, customer_class)
        for access in ("ipoe", "mobile")
        for customer_class in ("enterprise", "personal")
    ]


def test_the_labels_of_a_frame_are_read_from_its_dictionaries():
    exporters = pa.chunked_array(
        [
            pa.DictionaryArray.from_arrays(pa.array([1, 1], pa.int32()), ["r1", "r2"]),
            pa.DictionaryArray.from_arrays(pa.array([0], pa.int32()), ["r3"]),
        ]
    )
    table = pa.table({"exporter": exporters, "bytes": [1, 2, 3], "text": ["a", "b", "c"]})
    assert dictionary_labels(table) == {"exporter": ["r1", "r2", "r3"]}
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    assert dictionary_labels(frame) == {"exporter": ["r1", "r2", "r3"]}


def test_the_load_reports_the_seconds_of_its_phases(loaded):
    _, report, _ = loaded
    writes = {f"write {table}" for table in ("flows", "assignments", "usage_counters")}
    generation = {"generate subscribers", "generate flows"}
    assert set(report.seconds) == writes | generation | {"pseudonyms", "swap in"}
    assert all(seconds >= 0 for seconds in report.seconds.values())


def test_relations_pseudonymized_together_hash_each_id_once():
    """A subscriber with assignments and counters is hashed once for both (the load's
    costliest step per id), and takes the same pseudonym in each."""
    con = duckdb.connect()
    con.execute("create table held as select unnest(['a', 'b', 'b']) as subscriber_id")
    con.execute("create table daily as select unnest(['b', 'c', null]) as subscriber_id")
    views = pseudonymized(con, {"assignments": "held", "usage_counters": "daily"}, KEY)
    assert con.execute(f"select count(*) from {PSEUDONYMS}").fetchall() == [(3,)]
    expected = {"assignments": ["a", "b", "b"], "usage_counters": ["b", "c", None]}
    for table, originals in expected.items():
        ids = con.execute(f"select subscriber_id from {views[table]}").fetchall()
        assert Counter(ids) == Counter((o and pseudonym(KEY, o),) for o in originals)


def test_generated_ids_are_pseudonymized_in_their_dictionary():
    """Each id of the frames' dictionaries is hashed once (an id of both frames too) and every
    row takes its id's pseudonym; ids handed over as text are encoded first. The ids are no
    labels of the file they are written to."""
    con = duckdb.connect()
    held = pa.DictionaryArray.from_arrays(pa.array([1, 0, 1], pa.int32()), pa.array(["a", "b"]))
    daily = pa.array(["b", "c", "b"])
    frames = {
        "assignments": pd.DataFrame({"subscriber_id": pd.arrays.ArrowExtensionArray(held)}),
        "usage_counters": pd.DataFrame({"subscriber_id": pd.arrays.ArrowExtensionArray(daily)}),
    }
    for frame in frames.values():
        frame["day"] = [1, 2, 3]
    replaced = pseudonymized_frames(con, frames, KEY)
    assert con.execute(f"select count(*) from {PSEUDONYMS}").fetchall() == [(3,)]
    expected = {"assignments": ["b", "a", "b"], "usage_counters": ["b", "c", "b"]}
    for table, originals in expected.items():
        assert list(replaced[table]["subscriber_id"]) == [pseudonym(KEY, o) for o in originals]
        assert list(replaced[table]["day"]) == [1, 2, 3]
        assert dictionary_labels(replaced[table]) == {}
