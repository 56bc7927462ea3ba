"""Reading speed of the flow readers, each format on the same synthetic week.

    python scripts/bench_ingest.py --rows 5000000 [--format nfcapd ...] [--file-flows 1000000]

The week (bench_inputs.py) is written as nfcapd files by a real nfcapd, as nfdump CSV (what
`nfdump -o csv` prints of those files: the 48-column layout of nfdump 1.7.0-1.7.4) and as
canonical Parquet. Each reader then reads every file of its format into the staging tables
of one DuckDB connection, as a week's load does (checks and quarantine included), and one
JSON line gives its records per second of wall time and per CPU second (nfdump's included)
and the peak resident memory. For the nfcapd files it also times the JSON reader (every
file through `nfdump -o json`) and `nfdump -s port/bytes` on the same files: how fast nfdump
itself reads them.
"""

import argparse
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
from bench_inputs import SERVICES, write_week
from bench_support import (
    PROJECT_ROOT,
    Measurement,
    TreeSampler,
    bench_week,
    clocked,
    synthetic_config,
)

from dagster_project import settings
from dagster_project.sources.raw_tables import ensure_raw_tables
from dagster_project.sources.readers import FLOW_READERS, nfdump, prepare_staging
from dagster_project.sources.readers.quarantine import FileCounts
from dagster_project.sources.source_config import FlowSource

FORMATS = ("nfcapd", "nfcapd_json", "nfdump_csv", "canonical_parquet")

Reader = Callable[..., FileCounts]


def csv_files(nfcapd_folder: Path, csv_folder: Path) -> list[Path]:
    """nfdump's CSV of every nfcapd file (written once), times in UTC."""
    made = []
    for nfcapd_file in sorted(nfcapd_folder.glob("*/nfcapd.*")):
        target = csv_folder / nfcapd_file.parent.name / f"{nfcapd_file.name}.csv"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            command = ["nfdump", "-r", str(nfcapd_file), "-q", "-o", "csv"]
            with target.with_suffix(".part").open("w") as output:
                subprocess.run(command, stdout=output, env={**os.environ, "TZ": "UTC"}, check=True)
            target.with_suffix(".part").rename(target)
        made.append(target)
    return made


def read_all(reader: Reader, files: list[Path], source_of: Callable[[Path], FlowSource]) -> int:
    """Every file through `reader` into one connection's staging tables; records read. The
    connection is to a scratch warehouse file, as a load's is (the raw schema's views need a
    lake beside it)."""
    with (
        tempfile.TemporaryDirectory() as scratch,
        duckdb.connect(str(Path(scratch) / "warehouse.duckdb")) as con,
    ):
        con.execute(f"set memory_limit = '{settings.duckdb_memory_limit()}'")
        ensure_raw_tables(con)
        prepare_staging(con)
        records = 0
        for path in files:
            counts = reader(con, source_of(path), path, bench_week())
            records += counts.rows + sum(counts.quarantined.values())
    return records


def measured(step: str, work: Callable[[], int]) -> Measurement:
    """`work` with this process tree's CPU and memory; its records per second."""
    with TreeSampler(os.getpid()) as sampler:
        records, (start, end) = clocked(work)
    line = Measurement.sampled(step, end - start, sampler, start, end)
    line.details = {
        "records": records,
        "records_per_second": round(records / line.seconds),
        "records_per_cpu_second": round(records / line.cpu_seconds) if line.cpu_seconds else None,
    }
    return line


def nfcapd_source(path: Path) -> FlowSource:
    return FlowSource(name=f"bench-{path.parent.name}", format="nfcapd", path="",
                      service=path.parent.name)  # fmt: skip


def csv_source(path: Path) -> FlowSource:
    return FlowSource(name=f"bench-{path.parent.name}", format="nfdump_csv", path="",
                      service=path.parent.name, counts_scaled=True)  # fmt: skip


def nfdump_statistics(folder: Path) -> int:
    """`nfdump -s port/bytes` over each service's files; the records nfdump counted."""
    records = 0
    for service in SERVICES:
        summary = subprocess.run(
            ["nfdump", "-R", str(folder / service), "-s", "port/bytes", "-n", "5"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        processed = [line for line in summary.splitlines() if "Total flows processed" in line]
        counted = int(processed[0].split(":")[1].split(",")[0])
        if counted == 0 and any((folder / service).glob("nfcapd.*")):
            raise RuntimeError(f"nfdump read no flow records from {folder / service}:\n{summary}")
        records += counted
    return records


def benchmark(rows: int, formats: list[str], workdir: Path, file_flows: int) -> None:
    config = synthetic_config(rows)
    nfcapd_folder = write_week(workdir / f"nfcapd-{rows}", config, "nfcapd", file_flows).parent
    nfcapd = sorted((nfcapd_folder / "flows").glob("*/nfcapd.*"))
    # every format's files are written before any reader is timed
    csv, parquet = [], []
    if "nfdump_csv" in formats:
        csv = csv_files(nfcapd_folder / "flows", workdir / f"csv-{rows}")
    if "canonical_parquet" in formats:
        week = write_week(workdir / f"parquet-{rows}", config, "parquet", file_flows)
        parquet = sorted((week.parent / "flows").glob("*.parquet"))
    runs: dict[str, Callable[[], int]] = {
        "nfcapd": lambda: read_all(FLOW_READERS["nfcapd"], nfcapd, nfcapd_source),
        "nfcapd_json": lambda: read_all(nfdump.read_nfcapd_json, nfcapd, nfcapd_source),
        "nfdump_csv": lambda: read_all(FLOW_READERS["nfdump_csv"], csv, csv_source),
        "canonical_parquet": lambda: read_all(
            FLOW_READERS["canonical_parquet"],
            parquet,
            lambda _path: FlowSource(name="bench", format="canonical_parquet", path=""),
        ),
    }
    if "nfcapd" in formats or "nfcapd_json" in formats:
        print(measured("nfdump -s port/bytes (nfcapd files)",
                       lambda: nfdump_statistics(nfcapd_folder / "flows")).json())  # fmt: skip
    for name in formats:
        print(measured(f"reader {name}", runs[name]).json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="flow records of the week")
    parser.add_argument("--format", action="append", choices=FORMATS,
                        help="repeatable; default: every format")  # fmt: skip
    parser.add_argument("--file-flows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "data" / "bench-ingest")
    args = parser.parse_args()
    benchmark(args.rows, args.format or list(FORMATS), args.workdir.resolve(), args.file_flows)


if __name__ == "__main__":
    main()
