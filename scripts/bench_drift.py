"""Time the three drift checks' frames of a week whose previous week is in the warehouse.

Takes the scratch warehouse of a `bench_week.py` run (its week 2024-06-03 loaded), links that
week's raw files in as the week before (hard links, no copy; marked loaded by a run named
`bench-previous`), then fetches the frames of `gx_flow_traffic_drift`,
`gx_counter_traffic_drift` and `gx_user_count_drift` in three situations, printing one JSON
line each:

- `no totals recorded`: both weeks scanned, as every week was before the totals were recorded;
- `previous week recorded`: a deployment's weekly run, the week just loaded scanned and the
  week before read from its record;
- `both weeks recorded`: the checks run again on the same load.

    .venv/bin/python scripts/bench_drift.py --workdir data/bench-week

The scratch warehouse is changed (a second week), as any later benchmark run replaces it.
"""

import argparse
import os
import shutil
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
from bench_support import Measurement, bench_week

from dagster_project.sources import raw_lake
from dagster_project.validation import week_changes
from dagster_project.validation.week_totals import totals_dir
from dagster_project.warehouse import week_status

FRAMES: dict[str, Callable] = {
    "gx_flow_traffic_drift": week_changes.flow_traffic_change,
    "gx_counter_traffic_drift": week_changes.counter_traffic_change,
    "gx_user_count_drift": week_changes.subscriber_count_change,
}
PREVIOUS_LOAD = "bench-previous"


def link_previous_week(warehouse: Path) -> None:
    """The benchmark week's raw files again as the week before, marked loaded."""
    week = bench_week().start
    previous = week - timedelta(days=7)
    with duckdb.connect(str(warehouse)) as con:
        root = raw_lake.lake_dir(con)
        for table in raw_lake.LAKE_TABLES:
            source = raw_lake.week_folder(root, table.name, week)
            target = raw_lake.week_folder(root, table.name, previous)
            if table.weekly and source.is_dir() and not target.exists():
                shutil.copytree(source, target, copy_function=os.link)
        raw_lake.refresh_views(con, root)
        week_status.mark_loaded(con, previous, PREVIOUS_LOAD)


def timed_frames(warehouse: Path, situation: str) -> Measurement:
    seconds: dict[str, float] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for check, fetch in FRAMES.items():
            started = time.perf_counter()
            batch = fetch(con, bench_week())
            seconds[check] = round(time.perf_counter() - started, 3)
            if "(compared)" not in batch.scope:
                raise SystemExit(f"{check} did not find the previous week: {batch.scope}")
    return Measurement(f"drift frames, {situation}", sum(seconds.values()), details=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True, help="a bench_week.py workdir")
    args = parser.parse_args()
    warehouse = args.workdir / "warehouse.duckdb"
    os.environ["TRAFFICREPORT_DATA_DIR"] = str(args.workdir / "data")
    link_previous_week(warehouse)
    this_week = totals_dir() / bench_week().key
    shutil.rmtree(totals_dir(), ignore_errors=True)
    print(timed_frames(warehouse, "no totals recorded").json(), flush=True)
    shutil.rmtree(this_week)
    print(timed_frames(warehouse, "previous week recorded").json(), flush=True)
    print(timed_frames(warehouse, "both weeks recorded").json(), flush=True)


if __name__ == "__main__":
    main()
