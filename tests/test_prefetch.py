"""Prefetched: the next item made in a worker thread, in order, closed without cutting it short."""

import threading
import time

import pytest

from dagster_project.pipelining.prefetch import Prefetched


def test_prefetching_keeps_the_order_and_produces_the_next_item_in_another_thread():
    producers = []

    def produced():
        for number in range(5):
            producers.append(threading.current_thread().name)
            yield number

    assert list(Prefetched(produced())) == [0, 1, 2, 3, 4]
    assert producers and all(name.startswith("prefetch") for name in producers)


def test_prefetching_starts_the_first_item_before_it_is_asked_for():
    started = threading.Event()

    def produced():
        started.set()
        yield "first"

    items = Prefetched(produced())
    assert started.wait(timeout=30), "the first item was not started"
    assert list(items) == ["first"]


def test_closing_waits_for_the_item_being_produced():
    """The checks close their connection after the prefetching: the frame being fetched
    must be finished first."""
    finished = []

    def produced():
        yield "first"
        time.sleep(0.2)
        finished.append("second")
        yield "second"

    items = Prefetched(produced())
    assert next(items) == "first"
    items.close()
    assert finished == ["second"]


def test_a_generator_error_reaches_the_caller_after_the_items_before_it():
    def failing():
        yield "first"
        raise ValueError("the synthetic pool is exhausted")

    items = Prefetched(failing())
    assert next(items) == "first"
    with pytest.raises(ValueError, match="pool is exhausted"):
        next(items)
