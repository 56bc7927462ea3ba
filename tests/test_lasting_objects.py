"""Objects made to last the process (the definitions, GX) are made without the collector's
passes and left out of later ones."""

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from dagster_project.processes.lasting_objects import made_to_last
from dagster_project.settings import PROJECT_ROOT


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of every collection that starts while the test runs; frozen objects
    are given back to the collector afterwards."""
    started: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield started
    finally:
        gc.callbacks.remove(record)
        gc.unfreeze()


def test_nothing_is_collected_while_lasting_objects_are_made_and_they_are_frozen_after(
    collections,
):
    frozen_before = gc.get_freeze_count()
    with made_to_last():
        made = [[index] for index in range(50_000)]  # far more than a collection's 700
    assert collections == []
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(made)


def test_the_collector_is_back_after_an_error_and_stays_off_if_it_was(collections):
    with pytest.raises(ValueError), made_to_last():
        raise ValueError("import failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with made_to_last():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


IMPORT_GX = """
import gc
from dagster_project.validation.gx_suites import import_gx
import_gx()
frozen = gc.get_freeze_count()
import_gx()
print(gc.isenabled(), frozen > 100_000, gc.get_freeze_count() == frozen)
"""


def test_gx_is_imported_once_its_objects_frozen_and_the_collector_back(tmp_path):
    # A script file: pyspark, which GX imports, exits a `python -c` process it takes for
    # its own doctests.
    script = tmp_path / "import_gx.py"
    script.write_text(IMPORT_GX)
    result = subprocess.run(
        [sys.executable, str(script)], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "True", "True"]
