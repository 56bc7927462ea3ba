"""Time and peak memory of validating one week of flow records (the raw_flows checks).

Builds a week of N synthetic flow records with DuckDB SQL in a scratch warehouse (in a child
process, so its memory does not count), then runs what the two blocking raw_flows checks run:
the deterministic sample and the whole-week profile, each fetched from DuckDB and validated
by its GX suite. Prints wall time per phase and the validating process's peak RSS.

    .venv/bin/python scripts/bench_validation.py --rows 50000000 [--memory-limit 1GB]

Most of the peak memory is DuckDB's buffer pool while it scans the week; the frames handed to
GX are small (the 100,000-row sample and a profile of one row per protocol).
"""

import argparse
import multiprocessing
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.sources.raw_tables import ensure_raw_tables
from dagster_project.validation.gx_suites import validate_batch
from dagster_project.validation.raw_frames import DEFAULT_MAX_ROWS, flow_sample, flow_week_profile
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK = date(2024, 6, 3)

# One flow record per row number i; hash(i, k) gives independent pseudo-random draws.
FLOWS_SQL = """
insert into raw.flows
with draws as (
    select
        i,
        (hash(i, 1) % 100)::bigint as protocol_draw,
        (hash(i, 2) % 604800000000)::bigint as start_offset_us,
        (1 + hash(i, 3) % 2000)::bigint as packets,
        (40 + hash(i, 4) % 1461)::bigint as packet_size,
        (1024 + hash(i, 5) % 64512)::integer as ephemeral_port
    from range($rows) as rows (i)
),

typed as (
    select
        *,
        case
            when protocol_draw < 70 then 6
            when protocol_draw < 95 then 17
            when protocol_draw < 98 then 50
            else 47
        end as protocol
    from draws
)

select
    $week_start::date as week_start,
    $week_start_utc::timestamp + to_microseconds(start_offset_us) as flow_start,
    $week_start_utc::timestamp + to_microseconds(start_offset_us + packets * 1000) as flow_end,
    concat('10.', i % 250, '.', (i // 250) % 250, '.', 1 + (i // 62500) % 250) as src_addr,
    concat('203.0.113.', 1 + i % 200) as dst_addr,
    case when protocol in (6, 17) then ephemeral_port else 0 end as src_port,
    case when protocol in (6, 17) then 443 else 0 end as dst_port,
    protocol,
    packets * packet_size as bytes,
    packets,
    1000 as sampling_interval,
    false as counts_scaled,
    'record' as sampling_origin,
    case when i % 5 = 0 then 'mobile' else 'broadband' end as service,
    concat('bras', i % 8) as exporter,
    concat('flows-', i // 1000000, '.csv') as source_file,
    i % 1000000 + 2 as source_row
from typed
"""


def build_week(path: Path, rows: int) -> None:
    start_utc = AnalysisWeek(WEEK).utc_start
    with duckdb.connect(str(path)) as con:
        ensure_raw_tables(con)
        con.execute(FLOWS_SQL, {"rows": rows, "week_start": WEEK, "week_start_utc": start_utc})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def timed_validation(con: duckdb.DuckDBPyConnection, fetch, suite: str) -> None:
    started = time.perf_counter()
    batch = fetch(con, AnalysisWeek(WEEK))
    fetched = time.perf_counter()
    outcome = validate_batch(batch, suite)
    done = time.perf_counter()
    verdict = "passed" if outcome.success else f"FAILED {outcome.failed_expectations}"
    print(
        f"{suite}: fetch {fetched - started:.1f} s, GX {done - fetched:.1f} s, {verdict}; "
        f"validated {batch.scope}; peak RSS so far {peak_rss_mb():.0f} MB"
    )


def run(path: Path, rows: int, memory_limit: str | None) -> None:
    if not path.exists():
        started = time.perf_counter()
        builder = multiprocessing.Process(target=build_week, args=(path, rows))
        builder.start()
        builder.join()
        if builder.exitcode != 0:
            raise SystemExit(f"building the scratch week failed (exit code {builder.exitcode})")
        print(f"built {rows} flow records in {time.perf_counter() - started:.1f} s: {path}")

    import great_expectations  # noqa: F401  (import time is not validation time)

    print(f"after imports: peak RSS {peak_rss_mb():.0f} MB; sample cap {DEFAULT_MAX_ROWS} rows")
    started = time.perf_counter()
    with duckdb.connect(str(path), read_only=True) as con:
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        timed_validation(con, flow_sample, "raw_flows")
        timed_validation(con, flow_week_profile, "raw_flows_profile")
    print(f"total {time.perf_counter() - started:.1f} s, peak RSS {peak_rss_mb():.0f} MB")


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
