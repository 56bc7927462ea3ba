"""The command line takes analysis weeks only, before any run starts."""

import argparse
from datetime import date

import pytest

from dagster_project.cli import analysis_week, main


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
