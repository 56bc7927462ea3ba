"""What importing the package sets up for the libraries it runs: NumPy without huge pages."""

import os
import subprocess
import sys

from dagster_project.settings import PROJECT_ROOT

# Whether NumPy madvises huge pages, as the definitions' process has it once they are loaded.
NUMPY_HUGEPAGES_AFTER_DEFINITIONS = """
import dagster_project.definitions
from numpy._core.multiarray import _get_madvise_hugepage
print(_get_madvise_hugepage())
"""


def numpy_hugepages(environment: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", NUMPY_HUGEPAGES_AFTER_DEFINITIONS],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_numpy_allocates_without_huge_pages_once_the_definitions_are_loaded():
    environment = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    assert numpy_hugepages(environment) == "False"


def test_an_explicit_numpy_huge_page_setting_is_kept():
    assert numpy_hugepages({**os.environ, "NUMPY_MADVISE_HUGEPAGE": "1"}) == "True"
