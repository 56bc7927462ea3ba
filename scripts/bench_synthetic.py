"""Benchmark the synthetic generator: flow records per second and peak memory for one week.

    python scripts/bench_synthetic.py [--subscribers 1000000] [--week 2024-06-03]

Subscribers are split like the default configuration's proportions of flow-heavy users:
half PPPoE, 30 % IPoE, 20 % mobile (a quarter of the phones with exported flows). Flow
batches are consumed as they stream (the way the raw asset loads them), so peak memory is
that of the largest batch plus the week's per-user state. Timings on a shared machine vary.
"""

import argparse
import time
from datetime import date

from bench_support import WEEK, peak_rss_mib

from dagster_project.sources import synthetic
from dagster_project.sources.synthetic import SyntheticConfig
from dagster_project.weeks.analysis_week import AnalysisWeek


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument(
        "--week", type=lambda text: AnalysisWeek(date.fromisoformat(text)), default=WEEK.isoformat()
    )
    parser.add_argument("--sampling-interval", type=int, default=1000)
    args = parser.parse_args()
    mobile = args.subscribers // 5
    config = SyntheticConfig(
        pppoe_users=args.subscribers // 2,
        ipoe_users=args.subscribers * 3 // 10,
        mobile_users=mobile,
        mobile_flow_users=mobile // 4,
        sampling_interval=args.sampling_interval,
    )
    started = time.perf_counter()
    assignment_rows = len(synthetic.assignments(args.week, config))
    counter_rows = len(synthetic.usage_counters(args.week, config))
    setup_seconds = time.perf_counter() - started

    rows = 0
    batches = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for batch in synthetic.flow_batches(args.week, config):
        rows += batch.num_rows
        batches += 1
    flow_seconds = time.perf_counter() - started
    flow_cpu_seconds = time.process_time() - cpu_started

    print(f"subscribers            {args.subscribers:,} (week {args.week})")
    print(
        f"population+assignments+counters  {setup_seconds:.1f} s "
        f"({assignment_rows:,} assignment rows, {counter_rows:,} counter rows)"
    )
    print(f"flow records           {rows:,} in {batches} batches, {flow_seconds:.1f} s")
    print(f"flow throughput        {rows / flow_seconds:,.0f} records/s (wall clock)")
    # On a shared machine the wall clock includes waiting for a core; CPU time does not.
    print(f"                       {rows / flow_cpu_seconds:,.0f} records per CPU second")
    print(f"peak memory (RSS)      {peak_rss_mib() / 1024:.2f} GiB")


if __name__ == "__main__":
    main()
