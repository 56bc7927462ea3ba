"""Transparent huge pages off for this process and every process it starts.

NumPy, Arrow's allocator (mimalloc) and DuckDB ask the kernel for transparent huge pages for
their large allocations. Where the kernel then compacts memory on demand to find them
(`madvise` in /sys/kernel/mm/transparent_hugepage/defrag, as on the machines of
docs/performance.md), each fresh allocation waits for it, the longer the more of the memory
the page cache holds: doubling an 8 GB Arrow array took 32-41 s with them and 5 s without,
a DuckDB aggregate of 50 million groups 14-28 s and 11 s. `prctl(PR_SET_THP_DISABLE)` turns
them off for the calling process; the kernel keeps the setting across fork and exec, so the
dbt subprocess and its DuckDB run without them too.
"""

import ctypes
import ctypes.util
import os
import sys

SETTING = "TRAFFICREPORT_HUGE_PAGES"
KERNEL_POLICY = "kernel"  # leave the kernel's policy (and the libraries' requests) as they are
OFF = "off"
# linux/prctl.h
PR_SET_THP_DISABLE = 41
PR_GET_THP_DISABLE = 42


def _prctl(option: int, argument: int = 0) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    result = libc.prctl(option, argument, 0, 0, 0)
    if result < 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) failed")
    return result


def huge_pages_setting() -> str:
    value = os.environ.get(SETTING, OFF).strip().lower() or OFF
    if value not in (OFF, KERNEL_POLICY):
        raise ValueError(f"{SETTING}={value!r}: use {OFF!r} (the default) or {KERNEL_POLICY!r}")
    return value


def disable_transparent_huge_pages() -> None:
    """Turn transparent huge pages off for this process tree unless the setting keeps the
    kernel's policy. Only Linux has them."""
    if sys.platform.startswith("linux"):
        # set either way: the kernel's policy undoes an "off" inherited from a parent process
        _prctl(PR_SET_THP_DISABLE, 1 if huge_pages_setting() == OFF else 0)


def transparent_huge_pages_disabled() -> bool:
    return sys.platform.startswith("linux") and _prctl(PR_GET_THP_DISABLE) == 1
