"""dbt's folder of each Dagster dbt step, kept for the newest few steps only.

dagster-dbt gives every dbt invocation a target folder of its own, `<target>/<step>-<run>-<id>`
(manifest, compiled SQL, run_results.json, dbt.log: about 11 MB for a weekly build), and
nothing removes them: a weekly schedule, with its backfills and re-runs, would add a few
hundred megabytes a year. After each build the step's older folders beyond the newest
`RUN_FOLDERS_KEPT` are deleted; the newest stay for reading a recent build's log and results.
"""

import shutil
from pathlib import Path

RUN_FOLDERS_KEPT = 10


def prune_run_folders(current: Path, keep: int = RUN_FOLDERS_KEPT) -> list[Path]:
    """Delete the folders of earlier invocations of the same step as `current` (its
    siblings named `<step>-...`), all but the newest `keep` counting `current`, which is
    never deleted. Returns the folders deleted, oldest first."""
    step = current.name.split("-", 1)[0]
    earlier = [
        folder
        for folder in current.parent.glob(f"{step}-*")
        if folder.is_dir() and folder != current
    ]
    earlier.sort(key=lambda folder: (folder.stat().st_mtime, folder.name))
    deleted = earlier[: max(len(earlier) - (keep - 1), 0)]
    for folder in deleted:
        shutil.rmtree(folder, ignore_errors=True)
    return deleted
