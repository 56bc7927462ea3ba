"""Sensors: the cross-week run after weekly runs, and runs for new files in the inbox."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest

from dagster_project import definitions
from dagster_project.defs.resources import WORKER_TAG, SourcesResource
from dagster_project.defs.sensors import (
    cross_week_after_weekly,
    dead_run_monitor,
    first_open_week,
    inbox_sensor,
)
from dagster_project.warehouse.holder import Worker
from tests.support.run_processes import ended_worker


@dg.op
def nothing() -> None:
    pass


@dg.job(name="weekly_report")
def weekly_stand_in() -> None:
    """A job with the weekly job's name, to produce real run records and events."""
    nothing()


def evaluate_after_success(instance: dg.DagsterInstance):
    result = weekly_stand_in.execute_in_process(instance=instance)
    context = dg.build_run_status_sensor_context(
        sensor_name=cross_week_after_weekly.name,
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    return cross_week_after_weekly(context), result.run_id


def test_weekly_success_requests_the_cross_week_run():
    with dg.instance_for_test() as instance:
        request, run_id = evaluate_after_success(instance)
    assert isinstance(request, dg.RunRequest)
    assert request.run_key == f"after-{run_id}"
    assert cross_week_after_weekly.job_name == "cross_week_report"


def started_run(instance: dg.DagsterInstance, worker: Worker | None) -> dg.DagsterRun:
    tags = {WORKER_TAG: worker.tag()} if worker else {}
    return instance.create_run_for_job(
        weekly_stand_in, status=dg.DagsterRunStatus.STARTED, tags=tags
    )


def test_cross_week_run_waits_for_unfinished_weekly_runs():
    with dg.instance_for_test() as instance:
        started_run(instance, Worker.current())
        started_run(instance, None)  # launched elsewhere: nothing tells it is dead
        skipped, _ = evaluate_after_success(instance)
    assert isinstance(skipped, dg.SkipReason)
    assert "2 weekly_report run(s)" in (skipped.skip_message or "")


def test_a_killed_weekly_run_is_marked_failed_not_waited_for():
    """A run whose process was killed stays STARTED; the sensor would wait for it for ever."""
    with dg.instance_for_test() as instance:
        dead = started_run(instance, ended_worker())
        request, _ = evaluate_after_success(instance)
        run = instance.get_run_by_id(dead.run_id)
    assert isinstance(request, dg.RunRequest)
    assert run is not None and run.status == dg.DagsterRunStatus.FAILURE


def test_runs_of_dead_processes_are_marked_failed_every_minute():
    """Left STARTED, a killed run would hold the queue's warehouse pool for ever."""
    with dg.instance_for_test() as instance:
        dead = started_run(instance, ended_worker())
        live = started_run(instance, Worker.current())
        result = dead_run_monitor.evaluate_tick(dg.build_sensor_context(instance=instance))
        statuses = {run.run_id: run.status for run in instance.get_runs()}
    assert statuses == {
        dead.run_id: dg.DagsterRunStatus.FAILURE,
        live.run_id: dg.DagsterRunStatus.STARTED,
    }
    assert f"Run {dead.run_id} (weekly_report) marked failed" in (result.skip_message or "")
    assert dead_run_monitor.minimum_interval_seconds == 60


@pytest.mark.parametrize(
    ("now", "first_open"),
    [
        (datetime(2024, 6, 9, 17, 59, tzinfo=UTC), date(2024, 6, 3)),  # Mon 02:59 Tokyo
        (datetime(2024, 6, 9, 18, 0, tzinfo=UTC), date(2024, 6, 10)),  # Mon 03:00 Tokyo
    ],
)
def test_weeks_stay_open_until_the_schedule_has_run(now: datetime, first_open: date):
    assert first_open_week(now, "Asia/Tokyo") == first_open


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    monkeypatch.setenv("TRAFFICREPORT_INBOX", str(folder))
    return folder


def sources_resource(tmp_path: Path, kind: str) -> SourcesResource:
    """sources.yaml whose flow sources read every file of the inbox."""
    config = tmp_path / "sources.yaml"
    config.write_text(
        f"kind: {kind}\n"
        "files:\n"
        "  flows:\n"
        "    - {name: inbox, format: canonical_csv, path: 'inbox/*', timezone: Asia/Tokyo}\n"
        "    - {name: weeks, format: canonical_parquet, path: 'inbox/{week_start}/*'}\n"
    )
    return SourcesResource(config_path=str(config))


def tick(sources: SourcesResource, cursor: str | None = None):
    from dagster_project.definitions import defs

    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"sources": sources}, definitions=defs
        )
        result = inbox_sensor.evaluate_tick(context)
    return result.run_requests or [], result.cursor, result.skip_message


def write_canonical_csv(path: Path, flow_starts: list[str]) -> None:
    rows = [f"{start},{start},10.0.0.1,192.0.2.1,51000,443,6" for start in flow_starts]
    header = "flow_start,flow_end,src_addr,dst_addr,src_port,dst_port,protocol"
    path.write_text("\n".join([header, *rows]) + "\n")


def test_new_files_launch_their_weeks_once(inbox: Path, tmp_path: Path):
    sources = sources_resource(tmp_path, "files")
    (inbox / "nfcapd.202406051200").write_bytes(b"")
    # 2024-06-09 16:00 UTC is Monday 01:00 in Tokyo: the flows span two weeks.
    write_canonical_csv(inbox / "export.csv", ["2024-06-09 14:00:00", "2024-06-09 16:00:00"])

    requests, cursor, _ = tick(sources)
    assert [r.partition_key for r in requests] == ["2024-06-03", "2024-06-10"]
    assert all(r.tags["trafficreport/trigger"] == "inbox" for r in requests)

    again, same_cursor, skipped = tick(sources, cursor)
    assert again == [] and same_cursor == cursor and "no new files" in (skipped or "")

    (inbox / "2023-05-29").mkdir()
    (inbox / "2023-05-29" / "flows.parquet").write_bytes(b"not read: the folder names the week")
    newer, _, _ = tick(sources, cursor)
    assert [r.partition_key for r in newer] == ["2023-05-29"]


def test_in_progress_open_and_undatable_files_launch_nothing(inbox: Path, tmp_path: Path):
    sources = sources_resource(tmp_path, "files")
    (inbox / "nfcapd.current.12345").write_bytes(b"")
    (inbox / ".upload.csv").write_text("flow_start\n2024-06-03 00:00:00\n")
    now = datetime.now(UTC)
    (inbox / f"nfcapd.{now:%Y%m%d%H%M}").write_bytes(b"")  # this week: the schedule's
    (inbox / "nfcapd.201805070000").write_bytes(b"")  # before the first partition
    (inbox / "notes.txt").write_text("no flows here")
    (inbox / "other.csv").write_text("a,b\n1,2\n")

    requests, cursor, skipped = tick(sources)
    assert requests == []
    assert "no new files of a finished week" in (skipped or "")
    handled = json.loads(cursor or "{}")["names_at_mark"]
    assert ".upload.csv" not in handled and "nfcapd.current.12345" not in handled


def test_synthetic_sources_ignore_the_inbox(inbox: Path, tmp_path: Path):
    (inbox / "nfcapd.202406051200").write_bytes(b"")
    requests, cursor, skipped = tick(sources_resource(tmp_path, "synthetic"))
    assert requests == [] and cursor is None
    assert "synthetic" in (skipped or "")


def test_an_invalid_config_skips_naming_the_problem(inbox: Path, tmp_path: Path):
    config = tmp_path / "sources.yaml"
    flow = "{name: x, format: nfcapd, path: x, sampling_intervall: 4}"
    config.write_text(f"kind: files\nfiles:\n  flows:\n    - {flow}\n")
    (inbox / "nfcapd.202406051200").write_bytes(b"")
    requests, cursor, skipped = tick(SourcesResource(config_path=str(config)))
    assert requests == [] and cursor is None
    assert f"{config}: files.flows[0].sampling_intervall: unknown key" in (skipped or "")


def test_default_inbox_is_under_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from dagster_project import settings

    monkeypatch.delenv("TRAFFICREPORT_INBOX", raising=False)
    monkeypatch.setenv("TRAFFICREPORT_DATA_DIR", str(tmp_path))
    assert settings.inbox_dir() == tmp_path.resolve() / "inbox"


def test_the_code_location_runs_the_dead_run_monitor():
    sensors = {sensor.name for sensor in definitions.defs.sensors}
    assert "dead_run_monitor" in sensors
