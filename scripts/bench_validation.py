"""Time and peak memory of validating one week of flow records (the raw_flows checks).

Loads the synthetic week of about N flow records (bench_support.load_synthetic_week) into a
scratch warehouse (in a child process, so its memory does not count), then runs what the two
blocking raw_flows checks run: the deterministic sample and the whole-week profile, each
fetched from DuckDB and validated by its GX suite. Prints wall time per phase and the
validating process's peak RSS.

    .venv/bin/python scripts/bench_validation.py --rows 50000000 [--memory-limit 1GB]

Most of the peak memory is DuckDB's buffer pool while it scans the week; the frames handed to
GX are small (the 100,000-row sample and a profile of one row per protocol).
"""

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path

import duckdb
from bench_support import bench_week, load_synthetic_week, peak_rss_mib

from dagster_project.validation.gx_suites import validate_batch
from dagster_project.validation.raw_frames import DEFAULT_MAX_ROWS, flow_sample, flow_week_profile


def timed_validation(con: duckdb.DuckDBPyConnection, fetch, suite: str) -> None:
    started = time.perf_counter()
    batch = fetch(con, bench_week())
    fetched = time.perf_counter()
    outcome = validate_batch(batch, suite)
    done = time.perf_counter()
    verdict = "passed" if outcome.success else f"FAILED {outcome.failed_expectations}"
    print(
        f"{suite}: fetch {fetched - started:.1f} s, GX {done - fetched:.1f} s, {verdict}; "
        f"validated {batch.scope}; peak RSS so far {peak_rss_mib():.0f} MiB"
    )


def run(path: Path, rows: int, memory_limit: str | None) -> None:
    if not path.exists():
        started = time.perf_counter()
        builder = multiprocessing.Process(target=load_synthetic_week, args=(path, rows))
        builder.start()
        builder.join()
        if builder.exitcode != 0:
            raise SystemExit(f"building the scratch week failed (exit code {builder.exitcode})")
        print(f"built {rows} flow records in {time.perf_counter() - started:.1f} s: {path}")

    import great_expectations  # noqa: F401  (import time is not validation time)

    print(f"after imports: peak RSS {peak_rss_mib():.0f} MiB; sample cap {DEFAULT_MAX_ROWS} rows")
    started = time.perf_counter()
    with duckdb.connect(str(path), read_only=True) as con:
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        timed_validation(con, flow_sample, "raw_flows")
        timed_validation(con, flow_week_profile, "raw_flows_profile")
    print(f"total {time.perf_counter() - started:.1f} s, peak RSS {peak_rss_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--warehouse", type=Path, help="reuse or create this scratch file")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit while validating, e.g. 1GB")
    args = parser.parse_args()
    if args.warehouse:
        run(args.warehouse, args.rows, args.memory_limit)
        return
    with tempfile.TemporaryDirectory(prefix="bench_validation_") as scratch:
        run(Path(scratch) / "warehouse.duckdb", args.rows, args.memory_limit)


if __name__ == "__main__":
    main()
