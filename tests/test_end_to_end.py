"""One hand-built week through every layer, materialized the way CI does.

The fixture (tests/fixtures/hand_week) holds fifteen flow records of the week of
2024-06-03 with 1:10 sampling. Scaled volumes that count for broadband port shares
(PPPoE subscribers, enterprise included):

    TCP 443  : 20,000 + 5,000 + 10,000 (sub-d before its address moved)
               + 15,000 (sub-e after)                      = 50,000
    UDP 443  : 12,000 + 8,000 (enterprise upload)           = 20,000
    TCP 80   : 6,000 + 4,000 (record already scaled, x1)    = 10,000
    ESP      : 10,000                                       = 10,000
    TCP 31000: 3,000 + 2,000 (P2P, the lower port names it) =  5,000
    TCP 22   : 5,000 (server port 22 vs client port 51000)  =  5,000
                                                     total  = 100,000

Table 3 rows: TCP 70 (< 1024: 65, >= 1024: 5), UDP 20, ESP 10; every other row 0.

Left out: a flow to the IPoE subscriber (7,000; IPoE has no port statistics), a flow
between two non-subscriber addresses (3,000) and a flow to 10.0.0.4 in the gap between
its two assignments (9,000).
"""

import re
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT, dagster_materialize

# One week's run: the weekly assets (the cross-week ones cannot share a partitioned run).
WEEKLY_ASSETS = "tag:partitioned=weekly"

# (protocol, table row label) -> share (%); the other rows of the table are 0.
EXPECTED_BROADBAND_SHARES = {
    ("TCP", "TCP"): 70.0,
    ("TCP", "(< 1024)"): 65.0,
    ("TCP", "443 (https)"): 50.0,
    ("TCP", "80 (http)"): 10.0,
    ("TCP", "22 (ssh)"): 5.0,
    ("TCP", "(>= 1024)"): 5.0,
    ("TCP", "31000"): 5.0,
    ("UDP", "UDP"): 20.0,
    ("UDP", "443 (https)"): 20.0,
    ("ESP", "ESP"): 10.0,
}
PORT_TABLE_ROWS = 22


def port_shares(warehouse: str) -> dict[tuple[str, str], float]:
    with duckdb.connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "select protocol_name, label, share_pct from port_usage "
            "where week_start = '2024-06-03' and service = 'broadband'"
        ).fetchall()
    return {(protocol, label): share for protocol, label, share in rows}


def test_hand_built_week_gives_hand_computed_port_shares(hand_week_env, tmp_path):
    dagster_materialize(hand_week_env, WEEKLY_ASSETS, partition="2024-06-03")

    shares = port_shares(hand_week_env["TRAFFICREPORT_DUCKDB"])
    assert len(shares) == PORT_TABLE_ROWS
    for key, share in shares.items():
        assert share == pytest.approx(EXPECTED_BROADBAND_SHARES.get(key, 0.0)), key
    assert (tmp_path / "assets" / "figures" / "port_shares_2024-06-03.png").stat().st_size > 0


def test_rematerializing_a_week_replaces_it_exactly(hand_week_env, monkeypatch):
    dagster_materialize(hand_week_env, WEEKLY_ASSETS, partition="2024-06-03")
    dagster_materialize(hand_week_env, WEEKLY_ASSETS, partition="2024-06-03")

    with duckdb.connect(hand_week_env["TRAFFICREPORT_DUCKDB"], read_only=True) as con:
        flows = con.execute("select count(*) from raw.flows").fetchone()[0]
        port_rows = con.execute("select count(*) from port_usage").fetchone()[0]
    assert flows == 15
    assert port_rows == PORT_TABLE_ROWS
    # each table's materialization says how many rows the week has in it
    with duckdb.connect(hand_week_env["TRAFFICREPORT_DUCKDB"], read_only=True) as con:
        attributed = con.execute(
            "select count(*) from int_attributed_flow_totals where week_start = '2024-06-03'"
        ).fetchone()[0]
    assert latest_row_count(hand_week_env, "int_attributed_flow_totals", monkeypatch) == attributed
    assert latest_row_count(hand_week_env, "port_usage", monkeypatch) == PORT_TABLE_ROWS


def latest_row_count(env: dict[str, str], asset: str, monkeypatch: pytest.MonkeyPatch) -> int:
    import dagster as dg

    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    with dg.DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    return event.asset_materialization.metadata["dagster/row_count"].value


def test_the_week_command_prints_a_line_per_run_and_logs_the_rest(hand_week_env, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "week", "2024-06-03"],
        cwd=PROJECT_ROOT,
        env=hand_week_env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = completed.stdout
    logs = list((tmp_path / "data" / "logs").glob("week-*.log"))
    assert len(logs) == 1, output + completed.stderr
    log = logs[0].read_text()

    # The terminal: the log's path first and last, a line for the week, the total, where the
    # outputs are; nothing from Dagster or dbt, no color codes.
    lines = output.splitlines()
    assert completed.stderr == ""
    assert lines[0] == lines[-1] == f"Log:       {logs[0]}"
    duration = r"(\d+\.\d s|\d+ min \d\d s)"
    assert re.fullmatch(rf"\[1/1\] week 2024-06-03 \.\.\. done in {duration}", lines[1])
    assert len(lines) <= 10, output
    assert "\x1b[" not in output
    assert "DEBUG" not in output
    # The log: Dagster's events and dbt's output, without color codes.
    assert "RUN_START" in log
    assert "Running with dbt" in log
    assert "\x1b[" not in log

    assert completed.returncode == 0, output
    assert re.fullmatch(rf"Done: 1 of 1 runs in {duration}\.", lines[2])
    assert lines[3:5] == [
        f"Warehouse: {hand_week_env['TRAFFICREPORT_DUCKDB']}",
        f"Report:    {tmp_path / 'assets' / 'report' / 'weeks' / '2024-06-03.html'}",
    ]
    assert "STEP_SUCCESS" in log
