"""Benchmark of the weekly dbt models on a large generated week (a script, not a test).

Writes one week of flow records (default 50 million) with DuckDB SQL into a scratch
warehouse, then builds the weekly models one at a time with `dbt run`, in the order dbt
would, and prints for each: time of the model's SQL (from dbt's run results), flow rows per
second for the models that read every flow (flows of the week / that time), and the peak
resident memory of the dbt process (DuckDB runs inside it, within
TRAFFICREPORT_DUCKDB_MEMORY_LIMIT). Views cost nothing until a stored model reads them.

    python scripts/bench_models.py --flows 50000000 --workdir /tmp/trafficreport-bench

Flows are hash-derived from their row number: 300,000 PPPoE and 100,000 mobile
subscribers, a quarter of the traffic over IPv6 (PPPoE /56, mobile /64 prefixes), a tenth
of the flows unattributed, every tenth PPPoE address reassigned mid-week, realistic port
pairs. The numbers depend on the machine and on whatever else runs on it.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from dagster_project.sources.raw_tables import ensure_raw_tables  # noqa: E402
from dagster_project.weeks.analysis_week import AnalysisWeek  # noqa: E402

WEEK = date(2024, 6, 3)
PPPOE_SUBSCRIBERS = 300_000
MOBILE_SUBSCRIBERS = 100_000
IPOE_SUBSCRIBERS = 150_000
# The stored models that read every flow record of the week (through the views before them);
# the others read per-user or per-hour tables, so a rate per flow would say nothing.
FLOW_READING_MODELS = {"int_address_holders", "int_subscriber_flow_usage", "int_traffic_hourly"}

# Subscriber i: IPv4 10.(i >> 16).(i >> 8 & 255).(i & 255) + 1 in the second octet for
# mobile; IPv6 PPPoE 2001:db8:<i / 256>:<i % 256>00::/56, mobile
# 2001:db9:<i / 65536>:<i % 65536>::/64 (hextets in hex).
ASSIGNMENTS_SQL = """
with pppoe as (
    select range as i from range({pppoe})
),
mobile as (
    select range as i from range({mobile})
)
select 'bb' || i as subscriber_id, 'broadband' as service, 'pppoe' as access,
    case when i % 50 = 0 then 'enterprise' else 'personal' end as customer_class,
    '10.' || (i >> 16) || '.' || ((i >> 8) & 255) || '.' || (i & 255) as address,
    timestamp '{start}' - interval 30 day as valid_from,
    -- every tenth address moves to another subscriber in the middle of the week
    case when i % 10 = 0 then timestamp '{start}' + interval 84 hour end as valid_to
from pppoe
union all
select 'bb-moved' || i, 'broadband', 'pppoe', 'personal',
    '10.' || (i >> 16) || '.' || ((i >> 8) & 255) || '.' || (i & 255),
    timestamp '{start}' + interval 84 hour, null
from pppoe where i % 10 = 0
union all
select 'bb' || i, 'broadband', 'pppoe',
    case when i % 50 = 0 then 'enterprise' else 'personal' end,
    '2001:db8:' || printf('%x', i >> 8) || ':' || printf('%x', (i & 255) << 8) || '::/56',
    timestamp '{start}' - interval 30 day, null
from pppoe
union all
select 'mo' || i, 'mobile', 'mobile', 'personal',
    '10.' || (64 + (i >> 16)) || '.' || ((i >> 8) & 255) || '.' || (i & 255),
    timestamp '{start}' - interval 30 day, null
from mobile
union all
select 'mo' || i, 'mobile', 'mobile', 'personal',
    '2001:db9:' || printf('%x', i >> 16) || ':' || printf('%x', i & 65535) || '::/64',
    timestamp '{start}' - interval 30 day, null
from mobile
"""

FLOWS_SQL = """
with numbered as (
    select range as n, hash(range) as h, hash(range + {flows}) as g from range({flows})
),
shaped as (
    select
        n,
        h,
        g,
        -- 3 in 4 flows broadband, 1 in 4 mobile; 1 in 4 over IPv6
        (h % 4) = 0 as mobile,
        ((h >> 2) % 4) = 0 as ipv6,
        ((h >> 4) % 10) = 0 as unattributed,
        ((h >> 8) % 5) = 0 as upload,
        (g % 100) as port_pick,
        epoch_ms(timestamp '{start}') + ((g >> 8) % 604800000)::bigint as start_ms
    from numbered
),
ends as (
    select
        *,
        case when mobile then (h >> 12) % {mobile} else (h >> 12) % {pppoe} end as i,
        printf('%x', (g >> 20) % 65536) as remote_group,
        ((g >> 36) % 250 + 1) as remote_octet
    from shaped
),
addressed as (
    select
        *,
        case
            when unattributed and ipv6 then '2001:db8:ffff::' || remote_group
            when unattributed then '192.0.2.' || remote_octet
            when ipv6 and mobile then '2001:db9:' || printf('%x', i >> 16) || ':'
                || printf('%x', i & 65535) || '::' || remote_group
            when ipv6 then '2001:db8:' || printf('%x', i >> 8) || ':'
                || printf('%x', ((i & 255) << 8) + 1) || '::' || remote_group
            when mobile
                then '10.' || (64 + (i >> 16)) || '.' || ((i >> 8) & 255) || '.' || (i & 255)
            else '10.' || (i >> 16) || '.' || ((i >> 8) & 255) || '.' || (i & 255)
        end as subscriber_address,
        case
            when ipv6 then '2400:' || remote_group || '::' || remote_octet
            else '203.0.' || ((g >> 44) % 256) || '.' || remote_octet
        end as remote_address,
        case
            when port_pick < 55 then 443 when port_pick < 62 then 80
            when port_pick < 64 then 22 when port_pick < 70 then 31000
            when port_pick < 92 then 443 when port_pick < 94 then 4500
            else 0
        end as server_port,
        case
            when port_pick < 70 then 6 when port_pick < 94 then 17
            when port_pick < 98 then 50 else 47
        end as protocol,
        1024 + (g >> 50) % 64000 as client_port
    from ends
)
select
    make_timestamp(start_ms * 1000) as flow_start,
    make_timestamp((start_ms + 30000) * 1000) as flow_end,
    case when upload then subscriber_address else remote_address end as src_addr,
    case when upload then remote_address else subscriber_address end as dst_addr,
    case when protocol in (6, 17) then case when upload then client_port else server_port end
        else 0 end as src_port,
    case when protocol in (6, 17) then case when upload then server_port else client_port end
        else 0 end as dst_port,
    protocol::smallint as protocol,
    (1500 * (1 + (g >> 56) % 20))::bigint as bytes,
    (1 + (g >> 56) % 20)::bigint as packets,
    1024 as sampling_interval,
    false as counts_scaled,
    'record' as sampling_origin,
    case when mobile then 'mobile' else 'broadband' end as service,
    'bench-router' as exporter,
    n as source_row
from addressed
"""

COUNTERS_SQL = """
select
    case when i < {ipoe} then 'bb' || i else 'mo' || (i - {ipoe}) end as subscriber_id,
    case when i < {ipoe} then 'broadband' else 'mobile' end as service,
    case when i < {ipoe} then 'ipoe' else 'mobile' end as access,
    'personal' as customer_class,
    date '{week}' + day::integer as day,
    (hash(i, day) % 100000000)::bigint as bytes_in,
    (hash(i, day, 1) % 1000000000)::bigint as bytes_out
from range({ipoe} + {mobile}) as users (i), range(7) as days (day)
"""


def generate_week(warehouse: Path, flows: int) -> None:
    start = AnalysisWeek(WEEK).utc_start
    params = {
        "flows": flows,
        "pppoe": PPPOE_SUBSCRIBERS,
        "mobile": MOBILE_SUBSCRIBERS,
        "ipoe": IPOE_SUBSCRIBERS,
        "start": start.isoformat(sep=" "),
        "week": WEEK.isoformat(),
    }
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con)
        for table, sql in (
            ("assignments", ASSIGNMENTS_SQL),
            ("usage_counters", COUNTERS_SQL),
            ("flows", FLOWS_SQL),
        ):
            began = time.perf_counter()
            con.execute(f"delete from raw.{table} where week_start = ?", [WEEK])
            con.execute(
                f"insert into raw.{table} by name "
                f"select ?::date as week_start, 'bench' as source_file, * "
                f"from ({sql.format(**params)})",
                [WEEK],
            )
            rows = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            print(f"generated raw.{table}: {rows:,} rows in {time.perf_counter() - began:.1f}s")


def dbt_command(warehouse: Path, workdir: Path, *arguments: str) -> tuple[list[str], dict]:
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *arguments,
        "--vars",
        json.dumps(AnalysisWeek(WEEK).dbt_vars()),
        "--target-path",
        str(workdir / "dbt_target"),
    ]
    env = {
        **os.environ,
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
