"""Benchmark of the weekly dbt models on a large synthetic week (a script, not a test).

Loads the synthetic week of about N flow records (default 50 million;
bench_support.load_synthetic_week) into a scratch warehouse, then builds the weekly models
one at a time with `dbt run`, in the order dbt would, and prints for each: time of the
model's SQL (from dbt's run results), flow rows per second for the models that read every
flow (flows of the week / that time), and the peak resident memory of the dbt process
(DuckDB runs inside it, within TRAFFICREPORT_DUCKDB_MEMORY_LIMIT). Views cost nothing until
a stored model reads them. scripts/bench_week.py times the same models inside a whole run.

    python scripts/bench_models.py --flows 50000000 --workdir /tmp/trafficreport-bench

The numbers depend on the machine and on whatever else runs on it.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from graphlib import TopologicalSorter
from pathlib import Path

from bench_support import PROJECT_ROOT, bench_week, load_synthetic_week

# The stored models that read every flow record of the week (through the views before them);
# the others read per-user, per-hour or per-port tables, so a rate per flow would say nothing.
FLOW_READING_MODELS = {"int_address_holders", "int_attributed_flow_totals"}


def generate_week(warehouse: Path, flows: int) -> None:
    began = time.perf_counter()
    report = load_synthetic_week(warehouse, flows)
    print(f"loaded {report.rows} in {time.perf_counter() - began:.1f} s")


def dbt_command(warehouse: Path, workdir: Path, *arguments: str) -> tuple[list[str], dict]:
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *arguments,
        "--target-path",
        str(workdir / "dbt_target"),
    ]
    env = {
        **os.environ,
        **bench_week().dbt_environment(),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt"),
        "DBT_LOG_PATH": str(workdir / "dbt_logs"),
        "TRAFFICREPORT_DUCKDB": str(warehouse),
    }
    return command, env


def measure_model(warehouse: Path, workdir: Path, model: str) -> None:
    """Run one model in a child process and print its timing and peak memory as JSON.

    Runs in its own process so that RUSAGE_CHILDREN's peak belongs to this model's dbt run.
    """
    command, env = dbt_command(warehouse, workdir, "run", "--select", model)
    completed = subprocess.run(
        command, cwd=PROJECT_ROOT / "dbt", env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"dbt run --select {model} failed:\n{completed.stdout[-4000:]}")
    results = json.loads((workdir / "dbt_target" / "run_results.json").read_text())
    seconds = sum(result["execution_time"] for result in results["results"])
    manifest = json.loads((workdir / "dbt_target" / "manifest.json").read_text())
    materialized = manifest["nodes"][f"model.trafficreport.{model}"]["config"]["materialized"]
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "model": model,
                "materialized": materialized,
                "seconds": seconds,
                "peak_mib": peak_kib / 1024,
            }
        )
    )


def weekly_models_in_build_order(warehouse: Path, workdir: Path) -> list[str]:
    """The dbt models tagged weekly, each after the models it reads (from dbt's manifest).

    Loads the seeds (reference data the models read) on the way."""
    for step in ("parse", "seed"):
        command, env = dbt_command(warehouse, workdir, step)
        subprocess.run(command, cwd=PROJECT_ROOT / "dbt", env=env, capture_output=True, check=True)
    manifest = json.loads((workdir / "dbt_target" / "manifest.json").read_text())
    weekly = {
        unique_id: node
        for unique_id, node in sorted(manifest["nodes"].items())
        if node["resource_type"] == "model" and "weekly" in node["tags"]
    }
    order = TopologicalSorter(
        {
            unique_id: set(node["depends_on"]["nodes"]) & weekly.keys()
            for unique_id, node in weekly.items()
        }
    )
    return [weekly[unique_id]["name"] for unique_id in order.static_order()]


def benchmark(warehouse: Path, workdir: Path, flows: int) -> None:
    print(f"{'model':<28}{'stored as':<13}{'seconds':>9}{'flow rows/s':>14}{'peak MiB':>10}")
    for model in weekly_models_in_build_order(warehouse, workdir):
        completed = subprocess.run(
            [sys.executable, __file__, "--measure", model, "--workdir", str(workdir)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        reads_flows = model in FLOW_READING_MODELS
        rate = f"{flows / result['seconds']:>14,.0f}" if reads_flows else f"{'-':>14}"
        print(
            f"{model:<28}{result['materialized']:<13}{result['seconds']:>9.1f}{rate}"
            f"{result['peak_mib']:>10,.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=50_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/trafficreport-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep an already generated week")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    arguments.workdir.mkdir(parents=True, exist_ok=True)
    warehouse = arguments.workdir / "warehouse.duckdb"
    if arguments.measure:
        measure_model(warehouse, arguments.workdir, arguments.measure)
        return
    if not arguments.reuse:
        warehouse.unlink(missing_ok=True)
        generate_week(warehouse, arguments.flows)
    benchmark(warehouse, arguments.workdir, arguments.flows)


if __name__ == "__main__":
    main()
