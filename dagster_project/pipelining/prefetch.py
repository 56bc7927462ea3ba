"""Items of a slow producer made one ahead, in a worker thread, while the caller handles the
current one: numpy (the synthetic generator) and DuckDB (the load's writing, the checks'
frames) release the GIL, so on two cores they overlap."""

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

Item = TypeVar("Item")

_END = object()


class Prefetched(Iterator[Item], Generic[Item]):
    """The items, the next one produced in a worker thread while the caller handles this one.

    The first item is started at once, before the caller asks for it, so the caller can do
    other work meanwhile (the checks import GX while their first frame is fetched). The items
    come in order; the producer's error is raised here. `close` waits for the item being
    produced, so that nothing the producer uses (a connection) is closed under it."""

    def __init__(self, items: Iterable[Item]) -> None:
        self._items = iter(items)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
        self._pending = self._worker.submit(next, self._items, _END)

    def __next__(self) -> Item:
        try:
            item = self._pending.result()
        except BaseException:
            self.close()
            raise
        if item is _END:
            self.close()
            raise StopIteration
        self._pending = self._worker.submit(next, self._items, _END)
        return item

    def close(self) -> None:
        self._worker.shutdown(wait=True)
