"""The benchmarks' own pieces: the agreement check, address numbers, time windows of the
process samples, which Dagster step is which, the performance table, and the readers'
benchmark."""

import json
import os
import sys

import duckdb
import pytest

from dagster_project.settings import PROJECT_ROOT
from dagster_project.sources.readers import FLOW_READERS
from dagster_project.sources.source_config import FlowSource
from tests import validation_data

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

from bench_ingest import nfdump_statistics, read_all
from bench_inputs import write_week
from bench_netflow import file_flows
from bench_reference import Disagreement, disagreements, keyed, relative_difference
from bench_support import (
    DEFAULT_CONFIG_FLOWS,
    Measurement,
    TreeSampler,
    cpu_model,
    stolen_cpu_seconds,
    synthetic_config,
)
from bench_table import read_run, table
from bench_week import gib_of
from bench_week_run import step_kind


def test_relative_difference_of_numbers_and_missing_values():
    assert relative_difference(5, 5) == 0.0
    assert relative_difference(0, 0.0) == 0.0
    assert relative_difference(100.0, 100.0 + 1e-8) == pytest.approx(1e-10)
    assert relative_difference(-2, 2) == 2.0
    assert relative_difference(None, None) == 0.0
    assert relative_difference(None, 0) == float("inf")


def test_disagreements_name_missing_rows_and_values_beyond_the_tolerance():
    reference = keyed([("bb", "IN", 10, 1.0), ("bb", "OUT", 20, 2.0)], 2, ("users", "mean"))
    marts = keyed(
        [("bb", "IN", 10, 1.0 + 1e-12), ("bb", "OUT", 21, 2.0), ("mo", "IN", 5, 0.5)],
        2,
        ("users", "mean"),
    )
    assert disagreements("usage_summary", reference, marts) == [
        Disagreement("usage_summary", ("bb", "OUT"), "users", 20, 21),
        Disagreement("usage_summary", ("mo", "IN"), "(row)", None, {"users": 5, "mean": 0.5}),
    ]
    assert disagreements("usage_summary", reference, reference) == []


def test_a_window_of_samples_includes_its_neighbours():
    sampler = TreeSampler(root=0)
    mib = 2**20
    sampler.samples = [(0.0, 100 * mib, 1.0), (0.1, 300 * mib, 1.5), (0.2, 200 * mib, 2.5),
                       (0.3, 50 * mib, 2.6)]  # fmt: skip
    assert sampler.peak_mib() == 300
    assert sampler.peak_mib(0.25, 0.26) == 200  # no sample inside: the ones around it
    assert sampler.cpu_seconds(0.15, 0.2) == pytest.approx(1.0)
    assert sampler.cpu_seconds() == pytest.approx(1.6)


def test_a_sample_after_the_root_ended_does_not_take_back_its_cpu_time():
    # the week's command line ends before the last sample of its window: an empty tree
    sampler = TreeSampler(root=0)
    sampler.samples = [(0.0, 0, 1.0), (0.1, 0, 40.0), (0.2, 0, 75.0), (0.3, 0, 0.0)]
    assert sampler.cpu_seconds() == pytest.approx(74.0)
    assert sampler.cpu_seconds(0.05, 0.25) == pytest.approx(74.0)


def test_measurements_print_as_one_json_line():
    line = Measurement("reference query", 1.23456, 512.04, 2.5, ratio_to_reference=1.0)
    assert json.loads(line.json()) == {
        "step": "reference query", "seconds": 1.235, "peak_rss_mib": 512.04,
        "cpu_seconds": 2.5, "ratio_to_reference": 1.0,
    }  # fmt: skip


def test_the_machine_is_named_and_its_stolen_time_read_from_the_kernels_files(tmp_path):
    cpuinfo, stat = tmp_path / "cpuinfo", tmp_path / "stat"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Example CPU @ 2.10GHz\nprocessor\t: 1\n")
    # cpu user nice system idle iowait irq softirq steal guest guest_nice, in clock ticks
    stat.write_text("cpu  100 0 50 900 3 0 2 250 0 0\ncpu0 50 0 25 450 1 0 1 125 0 0\n")
    assert cpu_model(cpuinfo) == "Example CPU @ 2.10GHz"
    assert stolen_cpu_seconds(stat) == 250 / os.sysconf("SC_CLK_TCK")
    assert cpu_model(tmp_path / "absent") == "unknown"
    assert stolen_cpu_seconds(tmp_path / "absent") == 0.0


def test_steps_of_the_weekly_job_by_kind():
    assert step_kind("raw_week") == "raw load"
    assert step_kind("weekly_dbt_models") == "dbt build"
    assert step_kind("week_input_checks") == "GX checks"
    assert step_kind("week_table_checks") == "GX checks"
    assert step_kind("week_report_page") == "figures and page"


def test_the_synthetic_week_scales_with_the_flows_wanted():
    default = synthetic_config(DEFAULT_CONFIG_FLOWS)
    tenfold = synthetic_config(10 * DEFAULT_CONFIG_FLOWS)
    assert tenfold.pppoe_users == 10 * default.pppoe_users
    assert tenfold.mobile_flow_users == 10 * default.mobile_flow_users
    assert tenfold.seed == default.seed


def test_disk_sizes_count_every_file_of_a_folder_or_one_file(tmp_path):
    (tmp_path / "raw" / "flows").mkdir(parents=True)
    for file in (tmp_path / "raw" / "flows" / "part-0.parquet", tmp_path / "raw" / "a.parquet"):
        with file.open("wb") as sparse:  # half a GiB each, no data written
            sparse.truncate(2**29)
    assert gib_of(tmp_path / "raw") == 1.0
    assert gib_of(tmp_path / "raw" / "a.parquet") == 0.5


def test_the_disk_peak_is_what_the_file_system_held_above_its_start(tmp_path):
    sampler = TreeSampler(0, disk=tmp_path)
    sampler.disk_used = [10 * 2**30, 13 * 2**30, 11 * 2**30]
    assert sampler.peak_disk_gib() == 3.0
    assert TreeSampler(0).peak_disk_gib() == 0.0


def test_the_table_lists_the_raw_loads_phases_under_it(tmp_path):
    lines = [
        {"step": "week run (command line)", "seconds": 10.0, "ratio_to_reference": 2.0},
        {"step": "raw load (1 steps)", "seconds": 4.0, "ratio_to_reference": 0.8},
        {"step": "GX checks (2 steps)", "seconds": 1.0, "ratio_to_reference": 0.2},
        {"step": "load: write flows", "seconds": 3.0, "ratio_to_reference": 0.6},
        {"step": "load: generate flows", "seconds": 1.0, "ratio_to_reference": 0.2},
        {"step": "reference query", "seconds": 5.0, "ratio_to_reference": 1.0},
        {"step": "summary", "flows": 1_000_000},
    ]
    output = tmp_path / "week-1M.jsonl"
    output.write_text("\n".join(json.dumps(line) for line in lines))
    steps = [row.split(" | ")[0].lstrip("| ") for row in table([read_run(output)]).splitlines()]
    assert steps[2:6] == [
        "week run (command line)",
        "raw load",
        "load: generate flows",
        "load: write flows",
    ]
    assert steps[6] == "GX checks"


def test_a_run_without_the_reference_lists_the_models_that_take_a_share_of_dbts_build(tmp_path):
    """Regression: a --skip-reference run has no ratios, and the table failed on them."""
    lines = [
        {"step": "week run (command line)", "seconds": 100.0},
        {"step": "dbt build (1 steps)", "seconds": 60.0},
        {"step": "dbt model int_attributed_flow_totals", "seconds": 30.0},
        {"step": "dbt model ipv6_share", "seconds": 0.1},
        {"step": "summary", "flows": 1_000_000_000},
    ]
    output = tmp_path / "week-1B.jsonl"
    output.write_text("\n".join(json.dumps(line) for line in lines))
    rows = table([read_run(output)]).splitlines()
    models = [row for row in rows if row.startswith("| dbt model")]
    assert models == ["| dbt model int_attributed_flow_totals | 30.0 | - | - | - | - |"]


def test_the_reader_benchmark_reads_into_a_warehouse_with_a_lake(tmp_path):
    """Regression: it read into an in-memory database, which has no raw lake, and failed."""
    flows = tmp_path / "flows.parquet"
    frame = validation_data.flows()
    with duckdb.connect() as con:
        con.register("frame", frame)
        con.execute(f"copy frame to '{flows}' (format parquet)")
    source = FlowSource(name="bench", format="canonical_parquet", path="")
    records = read_all(FLOW_READERS["canonical_parquet"], [flows], lambda _path: source)
    assert records == len(frame)


def test_nfdump_reads_every_flow_of_the_reader_benchmarks_nfcapd_week(tmp_path):
    """Regression: the collector's log lay among the week's nfcapd files, and `nfdump -R` on
    their folder stopped at it ("bad magic") and counted no flows."""
    sources = write_week(tmp_path / "week", synthetic_config(20_000), "nfcapd", 10_000)
    flows = sources.parent / "flows"
    files = sorted(flows.glob("*/*"))
    assert files and all(path.name.startswith("nfcapd.") for path in files)
    assert nfdump_statistics(flows) == sum(map(file_flows, files)) > 0
