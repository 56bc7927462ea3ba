"""The command line takes analysis weeks only, before any run starts, and keeps the console
quiet: a line per run, Dagster's and dbt's output in a log file."""

import argparse
import fcntl
import gc
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from dagster_project import settings
from dagster_project.cli import analysis_week, error_reason, exit_with, main, open_instance
from dagster_project.run_console import (
    failure_lines,
    format_duration,
    log_file_path,
    one_line,
    output_to_log,
    progress_line,
    progress_prefix,
    strip_ansi,
)
from tests.support.run_processes import finish, logs_of, start_week


def test_the_command_exits_with_its_code_and_its_objects_spared_the_last_collection():
    try:
        with pytest.raises(SystemExit) as exited:
            exit_with(3)
        assert exited.value.code == 3
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_monday_from_the_first_week_on_is_an_analysis_week():
    assert analysis_week("2019-09-23").start == date(2019, 9, 23)


@pytest.mark.parametrize("text", ["2019-09-24", "2018-12-31"])
def test_other_days_are_refused_with_the_rule(text):
    with pytest.raises(argparse.ArgumentTypeError, match="not an analysis week"):
        analysis_week(text)


def test_the_week_command_refuses_a_tuesday_without_running(capsys):
    with pytest.raises(SystemExit):
        main(["week", "2019-09-24"])
    assert "2019-09-24 is not an analysis week" in capsys.readouterr().err


# The quiet console: one progress line per run, everything else in a log file.


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0.0 s"),
        (41.23, "41.2 s"),
        (59.94, "59.9 s"),
        (59.96, "1 min 00 s"),
        (372.4, "6 min 12 s"),
        (3725, "1 h 02 min"),
        (-1, "0.0 s"),
    ],
)
def test_durations_read_in_seconds_minutes_or_hours(seconds, text):
    assert format_duration(seconds) == text


def test_a_progress_line_counts_steps_and_times_the_step():
    line = progress_line(3, 10, "week 2021-05-31", "done", 41.23)
    assert line == "[ 3/10] week 2021-05-31 ... done in 41.2 s"
    assert line.startswith(progress_prefix(3, 10, "week 2021-05-31"))
    assert progress_line(1, 1, "week 2024-06-03", "FAILED", 75) == (
        "[1/1] week 2024-06-03 ... FAILED in 1 min 15 s"
    )


def test_one_line_takes_the_first_line_without_escape_codes_cut_to_width():
    text = "\n  \x1b[31mDatabase Error\x1b[0m in   model x\nsecond line"
    assert one_line(text) == "Database Error in model x"
    assert one_line("abcdefghij", width=8) == "abcde..."
    assert one_line("") == ""
    assert strip_ansi("\x1b[1;32mPASS\x1b[0m") == "PASS"


def test_steps_failing_for_one_reason_share_a_line():
    failures = [
        ("check_a", "ConnectionException: busy"),
        ("check_b", "ConnectionException: busy"),
        ("check_c", "ConnectionException: busy"),
        ("model", "DbtError: boom"),
    ]
    assert failure_lines(failures) == [
        "check_a (+2 steps): ConnectionException: busy",
        "model: DbtError: boom",
    ]


def test_reasons_past_the_limit_are_counted():
    failures = [(f"step_{n}", f"reason {n}") for n in range(5)]
    lines = failure_lines(failures, limit=3)
    assert lines[:3] == ["step_0: reason 0", "step_1: reason 1", "step_2: reason 2"]
    assert lines[3] == "... and 2 more failed steps"


@dataclass
class FakeError:
    message: str
    cls_name: str | None
    cause: "FakeError | None" = None


def test_a_failed_step_is_explained_by_its_innermost_cause():
    cause = FakeError("_duckdb.IOException: IO Error: no such file\n", "IOException")
    wrapper = FakeError('Error occurred while executing op "x":', "StepError", cause)
    assert error_reason(wrapper) == "_duckdb.IOException: IO Error: no such file"
    assert error_reason(FakeError("disk full", "OSError")) == "OSError: disk full"
    assert error_reason(None) == "no error recorded"


def test_log_files_are_named_by_command_and_utc_time(tmp_path):
    now = datetime(2024, 6, 10, 8, 5, 3, tzinfo=UTC)
    first = log_file_path(tmp_path, "report", now)
    assert first == tmp_path / "report-20240610T080503Z.log"
    first.touch()
    assert log_file_path(tmp_path, "report", now) == tmp_path / "report-20240610T080503Z-2.log"


def test_output_to_log_keeps_only_console_lines_on_the_terminal(tmp_path, capfd):
    log_path = tmp_path / "logs" / "week.log"
    with output_to_log(log_path) as console:
        console.begin("[1/1] week 2024-06-03 ...")
        os.write(1, b"dbt says hello\n")
        os.write(2, b"DEBUG event\n")
        subprocess.run(["sh", "-c", "echo child stdout; echo child stderr >&2"], check=True)
        console.end("done in 1.0 s")
    captured = capfd.readouterr()
    assert captured.out == "[1/1] week 2024-06-03 ... done in 1.0 s\n"
    assert captured.err == ""
    log = log_path.read_text()
    for text in ["dbt says hello", "DEBUG event", "child stdout", "child stderr"]:
        assert text in log
    assert log.endswith("child stderr\n[1/1] week 2024-06-03 ... done in 1.0 s\n")
    os.write(1, b"after\n")
    assert capfd.readouterr().out == "after\n"


def test_a_wrong_sources_file_stops_before_any_run(tmp_path, monkeypatch, capsys):
    sources = tmp_path / "sources.yaml"
    sources.write_text("kind: synthetic\nsynthetic:\n  seed: 1\n  pppoe_user: 10\n")
    monkeypatch.setenv("TRAFFICREPORT_SOURCES", str(sources))
    with pytest.raises(SystemExit) as stopped:
        main(["week", "2024-06-03"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"{sources}: synthetic.pppoe_user: unknown key" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TRAFFICREPORT_ENGINE", "postgres", "'postgres' is not one of duckdb, spark"),
        ("TRAFFICREPORT_DBT_UNIT_TESTS", "yes", "'yes' is not 0 or 1"),
    ],
)
def test_a_wrong_setting_stops_before_any_run(variable, value, message, monkeypatch, capsys):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as stopped:
        main(["week", "2024-06-03"])
    assert stopped.value.code == 2
    assert f"{variable}={message}" in capsys.readouterr().err


def test_the_first_analysis_week_is_configuration(monkeypatch):
    """An ISP with older archives reports on weeks before the default first week."""
    assert analysis_week("2019-01-07").start == date(2019, 1, 7)
    monkeypatch.setenv("TRAFFICREPORT_FIRST_WEEK", "2018-01-01")
    assert analysis_week("2018-12-31").start == date(2018, 12, 31)
    with pytest.raises(argparse.ArgumentTypeError, match="from 2018-01-01"):
        analysis_week("2017-12-25")


def test_a_first_week_that_is_not_a_monday_is_refused(monkeypatch):
    monkeypatch.setenv("TRAFFICREPORT_FIRST_WEEK", "2018-01-02")
    with pytest.raises(ValueError, match="TRAFFICREPORT_FIRST_WEEK=2018-01-02 is not a Monday"):
        settings.first_week()


def test_a_failed_week_names_its_quarantine_first(tmp_path, monkeypatch):
    """Most flow records rejected: the first lines under the failed week say so, with the
    reason and the file, before the downstream failures that follow from it."""
    import duckdb

    from dagster_project.cli import Step, quarantine_lines, week_quarantine
    from dagster_project.sources.raw_tables import ensure_raw_tables

    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("TRAFFICREPORT_DUCKDB", str(warehouse))
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_tables(con)
        con.execute(
            "insert into raw.quarantine (week_start, source, source_file, source_row, reason, "
            "record) select date '2024-06-03', 'flows', '/in/nfcapd.202406030000', i, "
            "case when i <= 97 then 'flow ends before it starts' else 'invalid port' end, '' "
            "from range(1, 100) as t(i)"
        )
    shares = week_quarantine(Step("week 2024-06-03", "weekly_report", "2024-06-03"))
    assert quarantine_lines(shares) == [
        "quarantined 99 of 99 flows records (100.0%), most for 'flow ends before it starts' "
        "(e.g. nfcapd.202406030000)"
    ]
    assert week_quarantine(Step("cross-week assets", "cross_week_report")) == []


def test_a_failed_week_prints_no_page_path(tmp_path, monkeypatch, capsys):
    """A failed run leaves a stale page or none: the command must not point at it."""
    from dagster_project import cli

    monkeypatch.setattr(cli, "run_quietly", lambda command, steps: (False, tmp_path / "w.log"))
    assert cli.main(["week", "2024-06-03"]) == 1
    out = capsys.readouterr().out
    assert "Report:" not in out and "Warehouse:" not in out
    assert f"Log:       {tmp_path / 'w.log'}" in out


def test_two_weeks_started_at_once_both_succeed_one_after_the_other(small_synthetic_env):
    """The second command waits for the warehouse, naming the run it waits for, then runs."""
    first = start_week(small_synthetic_env, "2024-06-03")
    time.sleep(0.5)
    second = start_week(small_synthetic_env, "2023-05-29")
    for command in (first, second):
        assert "Done: 1 of 1 runs" in finish(command)
    logs = "".join(path.read_text() for path in logs_of(small_synthetic_env))
    assert re.search(r"Waiting for the warehouse .*: held by run [0-9a-f-]{36} \(pid \d+", logs)
    (waited,) = re.findall(r"Got the warehouse after ([\d.]+) s", logs)
    print(f"the second week waited {waited} s for the first")


# Opening a new Dagster home: its schema is created once, whoever starts first.

OPEN_INSTANCE = "from dagster_project.cli import open_instance; open_instance().dispose()"


def test_commands_started_at_once_on_a_new_dagster_home_all_open_it(tmp_path):
    """Regression: the second of two commands on a new home failed with "table
    alembic_version already exists" while the first created the SQLite schema."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    environment = {**os.environ, "DAGSTER_HOME": str(home)}
    commands = [
        subprocess.Popen(
            ["python", "-c", OPEN_INSTANCE], env=environment, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [command.communicate(timeout=120)[1] for command in commands]
    assert [command.returncode for command in commands] == [0] * 4, errors


def test_opening_the_instance_waits_for_the_home_lock(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    opened = threading.Event()

    def open_and_dispose() -> None:
        open_instance().dispose()
        opened.set()

    with (home / ".instance.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        opener = threading.Thread(target=open_and_dispose)
        opener.start()
        assert not opened.wait(1.0)
    opener.join(60)
    assert opened.is_set()
