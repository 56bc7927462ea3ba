"""A whole analysis week end to end, step by step, against a hand-written reference query.

    python scripts/bench_week.py --flows 10000000 [--source synthetic|parquet|nfcapd]
    python scripts/bench_week.py --flows 1000000000 --flow-copies 10 --skip-reference

Writes (or reuses) a synthetic week of about N flow records as the chosen input (the
built-in source, canonical Parquet files or nfcapd files: bench_inputs.py), runs it through
`python -m dagster_project.cli week` in a scratch Dagster instance and warehouse under
--workdir, then runs the reference query (bench_reference.py) on the same raw tables in a
child process and checks that it and the marts agree. Prints one JSON line per step: the
Dagster steps (from the run's event log), the phases of the raw load (from its metadata),
each dbt node (from dbt's run_results.json), dbt's start-up (its step less its nodes),
Dagster's own time (the run less its steps), the reference, and the raw-address cut that a
deployment's dbt step does after attribution (the benchmark keeps the addresses until the
reference has read them). Each line has the
wall seconds, the peak resident memory of the whole process tree in that step (dbt's
subprocess included; sampled every 0.1 s) and the ratio to the reference's seconds. The
last line sums up: flows, agreement, load average before and after, the CPU time the
hypervisor gave other guests during the run, the processor, the most disk the run took above
the level at its start, and the raw lake and warehouse sizes after it.

`--flow-copies K` generates the population of N/K records and hands over each record K
times (SyntheticConfig.flow_copies): a week of N records whose population fits in memory.
`--skip-reference` leaves out the reference and the agreement check (the reference is not
built to run out of core); the address cut is still measured.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from bench_inputs import SOURCES, write_week
from bench_reference import compare, run_reference
from bench_support import (
    PROJECT_ROOT,
    Measurement,
    TreeSampler,
    bench_week,
    clocked,
    cpu_model,
    load_average,
    stolen_cpu_seconds,
    synthetic_config,
)
from bench_week_run import dbt_measurements, load_phases, step_measurements

from dagster_project import settings
from dagster_project.warehouse.address_retention import cut_week

PSEUDONYM_KEY = "benchmark key, not for real data"
# What is shown of disagreements (all are counted).
SHOWN_DISAGREEMENTS = 5


def scratch_environment(workdir: Path, sources: Path) -> dict[str, str]:
    """The environment of the run: everything it writes under `workdir`."""
    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "TRAFFICREPORT_DATA_DIR": str(workdir / "data"),
        "TRAFFICREPORT_DUCKDB": str(workdir / "warehouse.duckdb"),
        "TRAFFICREPORT_OUTPUT_DIR": str(workdir / "output"),
        "TRAFFICREPORT_SOURCES": str(sources),
        "TRAFFICREPORT_PSEUDONYM_KEY": PSEUDONYM_KEY,
        "DBT_TARGET_PATH": str(workdir / "dbt_target"),
    }


def parse_dbt_project(environment: dict[str, str]) -> None:
    """The dbt manifest of the models as they are (as scripts/setup.sh makes it): Dagster
    loads the manifest, dbt builds the models, and they must agree. Parsed again with the
    week's environment, where its dbt run starts from a saved parse (DBT_TARGET_PATH): dbt
    parses everything again when the profile differs (here the scratch warehouse), and a
    deployment's setup parses with the deployment's own."""
    for parse_environment in (None, environment):
        subprocess.run(
            ["dbt", "parse", "--quiet"], cwd=PROJECT_ROOT / "dbt", env=parse_environment, check=True
        )


def run_week(environment: dict[str, str], workdir: Path) -> tuple[float, TreeSampler]:
    """The week through the command line; its wall seconds and its process tree's samples
    (and the used bytes of the file system of `workdir`)."""
    command = [sys.executable, "-m", "dagster_project.cli", "week", bench_week().key]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    with TreeSampler(process.pid, disk=workdir) as sampler:
        output, _ = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"the week's run failed:\n{output}")
    return seconds, sampler


def reference_child(warehouse: Path, skip_reference: bool) -> None:
    """In the child process: the reference and the agreement check (unless skipped) and the
    address cut; prints when each ran and what disagreed, as JSON."""
    week = bench_week()
    reference, found = (0.0, 0.0), []
    with duckdb.connect(str(warehouse)) as con:
        if not skip_reference:
            _, reference = clocked(run_reference, con, week)
            found = compare(con, week)
        _, cut = clocked(cut_week, con, week.start)
    print(json.dumps({
        "reference": reference, "cut": cut, "disagreements": len(found),
        "examples": [str(item) for item in found[:SHOWN_DISAGREEMENTS]],
    }))  # fmt: skip


def run_reference_child(
    warehouse: Path, skip_reference: bool
) -> tuple[Measurement, Measurement, dict]:
    """The reference and the address cut, measured in a child process, and how the reference
    and the marts agree."""
    command = [sys.executable, __file__, "--reference-of", str(warehouse)]
    command += ["--skip-reference"] if skip_reference else []
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    with TreeSampler(process.pid) as sampler:
        output, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit("the reference query failed")
    checked = json.loads(output.strip().splitlines()[-1])
    (start, end), cut = checked.pop("reference"), checked.pop("cut")
    reference = Measurement.sampled("reference query", end - start, sampler, start, end)
    cut_line = Measurement.sampled("raw address cut (after the reference)", cut[1] - cut[0],
                                   sampler, *cut)  # fmt: skip
    return reference, cut_line, checked


def benchmark(flows: int, source: str, workdir: Path, file_flows: int, copies: int,
              skip_reference: bool) -> None:  # fmt: skip
    load_before, stolen_before = load_average(), stolen_cpu_seconds()
    copied = f"-copies{copies}" if copies > 1 else ""
    inputs = workdir / "inputs" / f"{source}-{flows}{copied}"
    config = synthetic_config(flows // copies).model_copy(update={"flow_copies": copies})
    sources, (start, end) = clocked(write_week, inputs, config, source, file_flows)
    for stale in ("warehouse.duckdb", "warehouse.duckdb.wal", "raw", "dagster_home", "dbt_target"):
        shutil.rmtree(workdir / stale, ignore_errors=True)
        (workdir / stale).unlink(missing_ok=True)
    environment = scratch_environment(workdir, sources)
    parse_dbt_project(environment)
    run_seconds, sampler = run_week(environment, workdir)
    sizes = {"raw_lake_gib": gib_of(workdir / "raw"),
             "warehouse_gib": gib_of(workdir / "warehouse.duckdb")}  # fmt: skip
    reference, cut, checked = run_reference_child(workdir / "warehouse.duckdb", skip_reference)
    steps = step_measurements(environment["DAGSTER_HOME"], sampler, run_seconds)
    lines = [
        Measurement("write inputs (before the run)", end - start),
        Measurement.sampled("week run (command line)", run_seconds, sampler),
        *steps,
        *load_phases(environment["DAGSTER_HOME"]),
        *dbt_measurements(Path(environment["DBT_TARGET_PATH"]), steps, sampler),
        *([] if skip_reference else [reference]),
        cut,
    ]
    for line in lines:
        line.ratio_to_reference = line.seconds / reference.seconds if reference.seconds else None
        print(line.json())
    agree = None if skip_reference else checked["disagreements"] == 0
    print(json.dumps({
        "step": "summary", "source": source, "flows": week_flows(workdir / "warehouse.duckdb"),
        "flow_copies": copies, "reference_seconds": round(reference.seconds, 3), "agree": agree,
        **checked, "peak_disk_gib_above_start": round(sampler.peak_disk_gib(), 2), **sizes,
        "load_average_before": load_before, "load_average_after": load_average(),
        "stolen_cpu_seconds": round(stolen_cpu_seconds() - stolen_before, 1),
        "cpu_model": cpu_model(), "cpus": os.cpu_count(),
        "duckdb_memory_limit": settings.duckdb_memory_limit(),
    }))  # fmt: skip


def gib_of(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(file.stat().st_size for file in files) / 2**30, 2)


def week_flows(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (count,) = con.execute("select count(*) from raw.flows").fetchone() or (0,)
    return int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=10_000_000)
    parser.add_argument("--source", choices=SOURCES, default="synthetic")
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "data" / "bench-week")
    parser.add_argument("--file-flows", type=int, default=1_000_000,
                        help="flow records per input file (parquet, nfcapd)")  # fmt: skip
    parser.add_argument("--flow-copies", type=int, default=1,
                        help="hand over each generated record this many times")  # fmt: skip
    parser.add_argument("--skip-reference", action="store_true",
                        help="no reference query nor agreement check")  # fmt: skip
    parser.add_argument("--reference-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference_of:
        reference_child(args.reference_of, args.skip_reference)
        return
    benchmark(args.flows, args.source, args.workdir.resolve(), args.file_flows,
              args.flow_copies, args.skip_reference)  # fmt: skip


if __name__ == "__main__":
    main()
