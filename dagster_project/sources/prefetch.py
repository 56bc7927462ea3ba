"""Items of a slow producer made one ahead, in a worker thread, while the caller handles the
current one: numpy (the synthetic generator) and DuckDB (the load's writing) both release the
GIL, so on two cores they overlap."""

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")

_END = object()


def prefetched(items: Iterable[Item]) -> Iterator[Item]:
    """The items, the next one produced in a worker thread while the caller handles this one.

    Generating a frame (numpy) and writing the previous one (DuckDB) both release the GIL, so
    on two cores they overlap. The items come in order; the producer's error is raised here."""
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as worker:
        pending = worker.submit(next, iterator, _END)
        while (item := pending.result()) is not _END:
            pending = worker.submit(next, iterator, _END)
            yield item
