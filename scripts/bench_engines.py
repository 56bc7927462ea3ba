"""The weekly dbt models of one synthetic week on each engine: DuckDB, Spark in local mode and a
standalone Spark cluster of two workers on this machine (scripts/spark_cluster.sh).

    python scripts/bench_engines.py --flows 10000000 --workdir DIR \
        [--engines duckdb,spark-local,spark-cluster]

Every engine runs the same week (bench_week's scaled synthetic week, `python -m
dagster_project.cli week` in a scratch Dagster instance and warehouse under
DIR/<engine>-<flows>/); the cluster is started before its run and stopped after. Prints a JSON
line per engine: the wall seconds of the dbt step (from the run's event log) and of the whole
run, the sum of the model seconds in dbt's run_results.json, the peak resident memory of the
process tree in the dbt step and in the run (the cluster's master, worker and executor JVMs
included: they are not below the run's process), and whether every table of a Spark run's
`main` schema equals DuckDB's (DIR/duckdb-<flows>/, null when there is none, and for DuckDB
itself): same columns, same rows, integers, strings and dates exact, floats within 1e-9
relative.
"""

import argparse
import bisect
import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
from bench_inputs import write_week
from bench_support import PROJECT_ROOT, TreeSampler, load_average, synthetic_config
from bench_week import parse_dbt_project, run_week, scratch_environment, week_flows
from bench_week_run import DBT_STEP, dbt_run_results, run_steps

ENGINES = ("duckdb", "spark-local", "spark-cluster")
CLUSTER_SCRIPT = PROJECT_ROOT / "scripts" / "spark_cluster.sh"
# The processes spark_cluster.sh records (<Spark dir>/cluster/<name>.pid); executors run
# below the workers.
CLUSTER_PROCESSES = ("master", "worker-1", "worker-2")
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
# Tables a Spark build leaves nowhere: the week's address matches are dropped on Spark after
# the build and not read back (dbt/macros/spark_raw.sql), so that no address outlives it.
NOT_ON_SPARK = {"int_address_holders"}
RELATIVE_TOLERANCE = 1e-9


def engine_environment(engine: str, workdir: Path, sources: Path) -> dict[str, str]:
    """bench_week's scratch environment, Spark's files inside it, the engine chosen."""
    environment = scratch_environment(workdir, sources)
    environment["TRAFFICREPORT_SPARK_DIR"] = str(workdir / "data" / "spark")
    environment["TRAFFICREPORT_ENGINE"] = "duckdb" if engine == "duckdb" else "spark"
    if engine == "spark-cluster":
        port = environment.get("TRAFFICREPORT_SPARK_MASTER_PORT", "7077")
        environment["TRAFFICREPORT_SPARK_MASTER"] = f"spark://127.0.0.1:{port}"
        # The driver listens where the executors connect back to, as the cluster does.
        environment["SPARK_LOCAL_IP"] = "127.0.0.1"
    elif engine == "spark-local":
        environment["TRAFFICREPORT_SPARK_MASTER"] = "local[*]"
    return environment


def cluster_command(action: str, environment: dict[str, str]) -> None:
    # Its messages to stderr: stdout holds the JSON lines.
    subprocess.run(["bash", str(CLUSTER_SCRIPT), action], env=environment, check=True,
                   stdout=sys.stderr)  # fmt: skip


@contextlib.contextmanager
def spark_cluster(environment: dict[str, str]) -> Iterator[list[TreeSampler]]:
    """The cluster, running, with a sampler on the tree of each of its processes."""
    cluster_command("start", environment)
    try:
        folder = Path(environment["TRAFFICREPORT_SPARK_DIR"]) / "cluster"
        pids = [int((folder / f"{name}.pid").read_text()) for name in CLUSTER_PROCESSES]
        with contextlib.ExitStack() as stack:
            yield [stack.enter_context(TreeSampler(pid)) for pid in pids]
    finally:
        cluster_command("stop", environment)


def summed_peak_mib(samplers: list[TreeSampler], start: float, end: float) -> float:
    """The peak, from `start` to `end` (unix times), of the memory of the first sampler's tree
    plus that of the others' at their latest sample before each of the first's samples."""
    first, *rest = samplers
    others = [rss_at(other) for other in rest]
    peak = 0
    for when, rss, _ in first.samples:
        if start <= when <= end:
            peak = max(peak, rss + sum(other(when) for other in others))
    return peak / 2**20


def rss_at(sampler: TreeSampler) -> Callable[[float], int]:
    """The resident bytes of the sampler's tree at its latest sample at or before a time."""
    times = [sample[0] for sample in sampler.samples]

    def at(when: float) -> int:
        index = bisect.bisect_right(times, when) - 1
        return sampler.samples[index][1] if index >= 0 else 0

    return at


def table_columns(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, dict[str, str]]:
    """table -> {column: type} of the `main` schema's tables (not views: DuckDB's staging
    models are views, Spark's are not read back) of an attached database."""
    rows = con.execute(
        "select table_name, column_name, data_type from duckdb_columns() join duckdb_tables() "
        "using (database_name, schema_name, table_name) "
        "where database_name = ? and schema_name = 'main' order by table_name, column_index",
        [database],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def differing_rows_sql(table: str, columns: dict[str, str]) -> str:
    """Rows of `reference.main.table` and `main.table` without an equal partner: rows pair up
    by their exact columns and, among rows equal in those, by their order of float values."""
    floats = [f'"{name}"' for name, kind in columns.items() if kind in FLOAT_TYPES]
    exact = [f'"{name}"' for name, kind in columns.items() if kind not in FLOAT_TYPES]
    partition = f"partition by {', '.join(exact)}" if exact else ""
    order = f"order by {', '.join(floats)}" if floats else ""
    numbered = f"select *, row_number() over ({partition} {order}) as pair_number from {{}}"
    join = " and ".join([f"a.{name} is not distinct from b.{name}" for name in exact]
                        + ["a.pair_number = b.pair_number"])  # fmt: skip
    close = " and ".join(
        f"(a.{name} is not distinct from b.{name} or abs(a.{name} - b.{name}) <= "
        f"{RELATIVE_TOLERANCE} * greatest(abs(a.{name}), abs(b.{name})))"
        for name in floats
    )
    return f"""
        with a as ({numbered.format(f"reference.main.{table}")}),
             b as ({numbered.format(f"main.{table}")})
        select count(*) from a full join b on {join}
        where a.pair_number is null or b.pair_number is null or not ({close or "true"})
    """


def disagreements(warehouse: Path, reference: Path) -> dict[str, str | int]:
    """Per table of either `main` schema that differs: its differing rows, or why not
    comparable (missing, other columns)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{reference}' as reference (read_only)")
        ours, theirs = table_columns(con, warehouse.stem), table_columns(con, "reference")
        found: dict[str, str | int] = {}
        for table in sorted((ours.keys() | theirs.keys()) - NOT_ON_SPARK):
            if table not in ours or table not in theirs:
                found[table] = "only in " + ("duckdb" if table in theirs else "this engine")
            elif sorted(ours[table].items()) != sorted(theirs[table].items()):
                found[table] = f"columns {ours[table]} vs duckdb's {theirs[table]}"
            else:
                sql = differing_rows_sql(table, theirs[table])
                (count,) = con.execute(sql).fetchone() or (0,)
                if count:
                    found[table] = int(count)
    return found


def timed_run(engine: str, environment: dict[str, str]) -> tuple[float, list[TreeSampler]]:
    """The week's run (the cluster around it for spark-cluster): its wall seconds, and samplers
    of its process tree and of the cluster's processes."""
    with contextlib.ExitStack() as stack:
        cluster: list[TreeSampler] = []
        if engine == "spark-cluster":
            cluster = stack.enter_context(spark_cluster(environment))
        run_seconds, sampler = run_week(environment)
    return run_seconds, [sampler, *cluster]


def run_engine(engine: str, flows: int, workdir: Path) -> dict:
    """One engine's run of the week; its JSON line."""
    engine_dir = workdir / f"{engine}-{flows}"
    shutil.rmtree(engine_dir, ignore_errors=True)
    # The synthetic source generates the week inside the run: no files (file_flows unused).
    config = synthetic_config(flows)
    sources = write_week(workdir / "inputs" / f"synthetic-{flows}", config, "synthetic", 0)
    environment = engine_environment(engine, engine_dir, sources)
    load_before = load_average()
    run_seconds, samplers = timed_run(engine, environment)
    (step,) = [step for step in run_steps(environment["DAGSTER_HOME"]) if step.key == DBT_STEP]
    results = dbt_run_results(Path(environment["DBT_TARGET_PATH"]))["results"]
    models = [result for result in results if result["unique_id"].startswith("model.")]
    warehouse = Path(environment["TRAFFICREPORT_DUCKDB"])
    reference = workdir / f"duckdb-{flows}" / "warehouse.duckdb"
    # DuckDB's warehouse is the reference (agree null); another engine's without it, too.
    compared = engine != "duckdb" and reference.exists()
    differing = disagreements(warehouse, reference) if compared else None
    return {
        "engine": engine, "flows": week_flows(warehouse),
        "dbt_step_seconds": round(step.seconds, 3),
        "model_seconds": round(sum(model["execution_time"] for model in models), 3),
        "models": len(models),
        "dbt_step_peak_rss_mib": round(summed_peak_mib(samplers, step.start, step.end), 1),
        "run_seconds": round(run_seconds, 3),
        "run_peak_rss_mib": round(summed_peak_mib(samplers, 0.0, float("inf")), 1),
        "agree": None if differing is None else not differing,
        "disagreements": differing,
        "load_average_before": load_before, "load_average_after": load_average(),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "data" / "bench-engines")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="comma-separated, of: " + ", ".join(ENGINES))  # fmt: skip
    args = parser.parse_args()
    engines = args.engines.split(",")
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    parse_dbt_project()
    # DuckDB first: the others are compared with its warehouse.
    for engine in sorted(engines, key=ENGINES.index):
        print(json.dumps(run_engine(engine, args.flows, args.workdir.resolve())), flush=True)


if __name__ == "__main__":
    main()
