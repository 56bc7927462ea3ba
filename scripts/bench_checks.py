"""Benchmark what Dagster's event log costs per asset check: one asset with N checks that all
pass at once, run in process on a scratch instance with the project's dagster.yaml (SQLite
storage, as a deployment's default). Prints one JSON line per run.

    python scripts/bench_checks.py [--checks 0 50 200] [--repeat 3]

A check costs three stored events (planned, output, evaluation), the same whatever the
check does; a week runs about 230 (the dbt tests and the GX suites).
"""

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def asset_with_checks(count: int) -> dg.AssetsDefinition:
    names = [f"check_{index}" for index in range(count)]

    @dg.asset(check_specs=[dg.AssetCheckSpec(name, asset="checked") for name in names])
    def checked():
        yield dg.Output(None)
        for name in names:
            yield dg.AssetCheckResult(check_name=name, passed=True)

    return checked


def run_seconds(instance: dg.DagsterInstance, count: int) -> float:
    job = dg.Definitions(assets=[asset_with_checks(count)]).resolve_implicit_global_asset_job_def()
    started = time.perf_counter()
    job.execute_in_process(instance=instance, raise_on_error=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, nargs="+", default=[0, 50, 200])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-checks-"))
    try:
        shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = str(home)
        instance = dg.DagsterInstance.get()
        for count in args.checks:
            for _ in range(args.repeat):
                seconds = run_seconds(instance, count)
                print(json.dumps({"checks": count, "run_seconds": round(seconds, 3)}), flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
