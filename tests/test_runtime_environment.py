"""What loading the project sets up for the processes that run it: no transparent huge
pages, in its own process and in those it starts (dbt)."""

import os
import subprocess
import sys

import pytest

from dagster_project.processes.huge_pages import SETTING, huge_pages_setting
from dagster_project.settings import PROJECT_ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

# The definitions' process, and a child it starts, as the kernel sees them once the
# definitions are loaded (the status line THP_enabled, Linux 5.0 and later). The process
# starts with huge pages on, whatever this one (which loaded the project) passed on.
STATUS_AFTER_DEFINITIONS = """
import ctypes
import subprocess
ctypes.CDLL(None).prctl(41, 0, 0, 0, 0)  # PR_SET_THP_DISABLE off
import dagster_project.definitions
from dagster_project.processes.huge_pages import transparent_huge_pages_disabled
child = subprocess.run(["grep", "THP_enabled", "/proc/self/status"], capture_output=True, text=True)
print(transparent_huge_pages_disabled(), child.stdout.split()[-1])
"""


def status_after_definitions(environment: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", STATUS_AFTER_DEFINITIONS],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_the_definitions_and_their_children_run_without_transparent_huge_pages():
    environment = {k: v for k, v in os.environ.items() if k != SETTING}
    assert status_after_definitions(environment) == "True 0"


def test_the_kernels_policy_is_kept_when_asked_for():
    assert status_after_definitions({**os.environ, SETTING: "kernel"}) == "False 1"


def test_an_unknown_setting_is_an_error_naming_it(monkeypatch):
    monkeypatch.setenv(SETTING, "always")
    with pytest.raises(ValueError, match=SETTING):
        huge_pages_setting()
