"""Objects made to last as long as the process, spared the cyclic garbage collector's work.

Importing Dagster's definitions (Dagster, dagster-dbt with dbt-core) and GX makes several
hundred thousand objects, classes and modules that live until the process ends. Python's
collector runs every 700 new objects while they are made and, now and then, walks every
object the process holds, finding nothing to free: 0.4 s of GX's 1.9 s import and 1.1-1.5 s
of the command line's week at 10M flows (docs/performance.md, "Objects made to last").
Paused while such objects are made and frozen afterwards (`gc.freeze`), they are left out of
every later collection. Frozen objects are still freed when their last reference goes; only a
reference cycle frozen with them would outlive its use.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def made_to_last() -> Iterator[None]:
    """No collection while the block runs; every object then tracked (the block's and any
    other thread's) is frozen, and the collector is back as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
