"""Items of a slow producer made one ahead, in a worker thread, while the caller handles the
current one: numpy (the synthetic generator) and DuckDB (the load's writing, the checks'
frames) release the GIL, so on two cores they overlap."""

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")

_END = object()


def prefetched(items: Iterable[Item]) -> Iterator[Item]:
    """The items, the next one produced in a worker thread while the caller handles this one.

    The first item is started at once, before the caller asks for it, so the caller can do
    other work meanwhile (the checks import GX while their first frame is fetched). The items
    come in order; the producer's error is raised here."""
    iterator = iter(items)
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
    return _handed_over(worker, worker.submit(next, iterator, _END), iterator)


def _handed_over(
    worker: ThreadPoolExecutor, pending: Future, iterator: Iterator[Item]
) -> Iterator[Item]:
    with worker:
        while (item := pending.result()) is not _END:
            pending = worker.submit(next, iterator, _END)
            yield item
