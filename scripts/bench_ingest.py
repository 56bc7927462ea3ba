"""Reader throughput on a large generated nfdump CSV (1.7.0-1.7.4 layout, 48 columns).

    python scripts/bench_ingest.py --rows 2000000

Generates the file with DuckDB (random addresses, ports, protocols and times inside the
week of 2024-06-03, plus a trailing Summary block), then times the nfdump CSV reader from
text to staged canonical rows and quarantine, and prints rows per second.
"""

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.sources.raw_tables import ensure_raw_tables
from dagster_project.sources.readers import FLOW_READERS, prepare_staging
from dagster_project.sources.source_config import FlowSource
from dagster_project.warehouse.connection import connect
from dagster_project.weeks.analysis_week import AnalysisWeek

WEEK = date(2024, 6, 3)
HEADER = (
    "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,"
    "nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,"
    "mpls9,mpls10,cl,sl,al,ra,eng,exid,tr"
)
# Everything after the byte counters, as nfdump prints it for a unidirectional record.
TAIL = (
    ",0,0,1,2,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0"
    + ",00:00:00:00:00:00" * 4
    + ",0-0-0" * 10
    + ",    0.000,    0.000,    0.000,192.0.2.1,0/0,1,2024-06-04 12:00:00.000"
)


def generate(path: Path, rows: int) -> None:
    """Write `rows` flow lines in the legacy layout with DuckDB."""
    with duckdb.connect() as con:
        con.execute(
            f"""
            copy (
                select {HEADER!r} as line
                union all (
                    select strftime(start, '%Y-%m-%d %H:%M:%S') || ','
                        || strftime(start + interval 3 second, '%Y-%m-%d %H:%M:%S') || ',3.000,'
                        || '10.' || (i % 250) || '.' || (i // 250 % 250) || '.' || (i % 97) || ','
                        || '203.0.113.' || (i % 200) || ','
                        || (1024 + i % 60000) || ',' || (array[443, 80, 443, 22, 53])[i % 5 + 1]
                        || ',' || (array['TCP', 'TCP', 'UDP', 'TCP', 'UDP'])[i % 5 + 1]
                        || ',........,0,0,' || (1 + i % 40) || ',' || (64 + i % 40 * 1400)
                        || {TAIL!r} as line
                    from (
                        select range as i,
                            timestamp '2024-06-03 00:00:00' + to_seconds(range % 604000) as start
                        from range({rows})
                    )
                )
                union all select 'Summary'
                union all select 'flows,bytes,packets,avg_bps,avg_pps,avg_bpp'
                union all select '{rows},0,0,0,0,0'
            ) to '{path}' (format csv, header false, quote '', delimiter '\x1f')
            """
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "flows.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        with connect(Path(scratch) / "bench.duckdb") as con:
            con.execute(f"set threads = {args.threads}")
            ensure_raw_tables(con)
            prepare_staging(con)
            source = FlowSource(
                name="bench", format="nfdump_csv", path=str(path), counts_scaled=True
            )
            started = time.perf_counter()
            counts = FLOW_READERS["nfdump_csv"](con, source, path, AnalysisWeek(WEEK, "UTC"))
            elapsed = time.perf_counter() - started
    total = counts.rows + sum(counts.quarantined.values())
    print(
        f"read {total:,} records ({counts.rows:,} staged, quarantined {counts.quarantined}) "
        f"in {elapsed:.1f} s: {total / elapsed:,.0f} rows/s on {args.threads} threads"
    )


if __name__ == "__main__":
    main()
