"""A week of real nfcapd files through every weekly asset, the way CI materializes a week.

The Zoom capture (September 2019) is exported as 1:4 sampled NetFlow v9 by softflowd and
collected by nfcapd; the capture's client address is made a PPPoE subscriber in an
assignments file, as a RADIUS log would say. The week of 2019-09-23 then runs through the
raw load, dbt, the validations, the figures and the week's report page, and every step says
the data is real.
"""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs import check_history
from tests.conftest import dagster_materialize
from tests.html_tables import body_rows
from tests.support.flowtools import (
    missing_programs,
    nfcapd_collector,
    realdata_dir,
    softflowd_export,
)

REALDATA = realdata_dir()
WEEK = "2019-09-23"
SUBSCRIBER_ADDRESS = "192.168.1.117"  # the Zoom client in the capture

pytestmark = [
    pytest.mark.skipif(REALDATA is None, reason="shared/realdata is not beside the project"),
    pytest.mark.skipif(
        bool(missing_programs("nfcapd", "nfdump", "softflowd")),
        reason="nfdump/softflowd not installed (scripts/install_system_packages.sh installs them)",
    ),
]


@pytest.fixture
def real_week_env(run_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    flows = tmp_path / "nfcapd"
    with nfcapd_collector(flows) as port:
        softflowd_export(REALDATA / "traffic" / "zoom.pcap", port, 4, tmp_path / "softflowd")
    (tmp_path / "assignments.csv").write_text(
        "subscriber_id,service,access,customer_class,address,valid_from,valid_to\n"
        f"zoom-user,broadband,pppoe,personal,{SUBSCRIBER_ADDRESS},2019-09-01 00:00:00,\n"
    )
    (tmp_path / "usage_counters.csv").write_text(
        "subscriber_id,service,access,customer_class,day,bytes_in,bytes_out\n"
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "kind: files\n"
        "files:\n"
        "  flows:\n"
        "    - name: zoom-capture\n"
        "      format: nfcapd\n"
        f"      path: {flows}/nfcapd.*\n"
        "      service: broadband\n"
        "      sampling_interval: 4\n"
        "  assignments:\n"
        "    - {name: radius, format: csv, path: assignments.csv}\n"
        "  usage_counters:\n"
        "    - {name: billing, format: csv, path: usage_counters.csv}\n"
    )
    return {**run_env, "TRAFFICREPORT_SOURCES": str(sources)}


def test_real_nfcapd_week_runs_through_every_weekly_asset(real_week_env, tmp_path):
    log = dagster_materialize(real_week_env, "tag:partitioned=weekly", partition=WEEK)
    assert "RUN_SUCCESS" in log

    with duckdb.connect(real_week_env["TRAFFICREPORT_DUCKDB"], read_only=True) as con:
        flows = con.execute(
            "select count(*), bool_and(not counts_scaled), min(sampling_interval) "
            "from raw.flows where week_start = ?",
            [WEEK],
        ).fetchone()
        rejected = con.execute(
            "select source, reason, count(*) from raw.quarantine where week_start = ? "
            "group by all order by all",
            [WEEK],
        ).fetchall()
        shares = con.execute(
            "select protocol_name, port, level, share_pct from port_usage "
            "where week_start = ? and service = 'broadband' order by share_pct desc",
            [WEEK],
        ).fetchall()
    assert flows[0] > 0 and flows[1] and flows[2] == 4
    protocol_rows = [share for _, _, level, share in shares if level == 0]
    assert sum(protocol_rows) == pytest.approx(100.0)
    # Zoom meetings: media over UDP 8801 and signalling over TCP 443 dominate.
    port_rows = [(protocol, port) for protocol, port, _, _ in shares if port is not None]
    assert set(port_rows[:2]) == {("UDP", 8801), ("TCP", 443)}

    # What the report shows about its inputs, as the instance recorded the load.
    with dg.DagsterInstance.from_config(real_week_env["DAGSTER_HOME"]) as instance:
        recorded = check_history.input_provenance(instance, "raw_flows", date.fromisoformat(WEEK))
        page_record = instance.fetch_materializations(
            dg.AssetRecordsFilter(dg.AssetKey("week_report_page"), asset_partitions=[WEEK]),
            limit=1,
        ).records[0]
    page_metadata = page_record.asset_materialization.metadata
    assert recorded.details["source"] == "real"
    assert recorded.details["sources"].startswith("zoom-capture (nfcapd flows)")
    assert check_history.data_note([recorded]) == "Source: real flow and usage records."

    # The week's report page: real data, its sources named, the week's own port shares.
    page = (tmp_path / "assets" / "report" / "weeks" / f"{WEEK}.html").read_text()
    assert "<strong>real</strong>" in page
    assert "zoom-capture (nfcapd flows)" in page and "radius (csv assignments)" in page
    body = page.split("<body>", 1)[1].lower()
    assert "synthetic" not in body and "calibration" not in body
    assert "No data for mobile in this week" in page
    assert page_metadata["data"].value == "real"
    assert page_metadata["sources"].value.startswith("zoom-capture (nfcapd flows)")
    assert page_metadata["sampling"].value == f"{WEEK}: 1:4 from source_config (127.0.0.1)"
    # The week's own ports (week_port_shares) agree with the published rows (port_usage) and,
    # with 'other', sum to 100; the one subscriber talks to no other subscriber.
    shown = {label: float(cell) for label, cell in body_rows(page)["week_ports_broadband"]}
    share = {(protocol, port): value for protocol, port, _, value in shares}
    assert shown["UDP 8801"] == round(share[("UDP", 8801)], 1) > 10
    assert shown["TCP 443"] == round(share[("TCP", 443)], 1) > 10
    assert sum(shown.values()) == pytest.approx(100, abs=0.05 * len(shown))
    assert "broadband: 0.0% of the week&#39;s flow bytes went between two subscribers" in page
    # The records the load rejected are counted on the page, as the quarantine holds them.
    shown_rejected = [
        (source, reason, int(records))
        for week, source, reason, records in body_rows(page)["rejected_records"]
    ]
    assert shown_rejected == rejected
