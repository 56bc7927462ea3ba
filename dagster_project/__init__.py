"""trafficreport: the weekly Broadband Traffic Report as Dagster assets."""

import os

# NumPy asks the kernel for transparent huge pages for every large array (madvise). Where
# the kernel then compacts memory on demand to find them (THP defrag "madvise", as on the
# machines of docs/performance.md), each fresh array waits for it: the synthetic 100M-flow
# week's generator took 121 CPU seconds with them (61 in the kernel) and 88 without (22).
# NumPy reads the setting when it is imported, which nothing does before this package; an
# explicit NUMPY_MADVISE_HUGEPAGE=1 in the environment keeps NumPy's default.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
