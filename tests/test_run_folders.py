"""dbt's folders of a step's builds: the newest few are kept, the current one always."""

import os

from dagster_project.engines.run_folders import prune_run_folders


def make_folders(root, names):
    """Folders with a file each, made in the order given (oldest first)."""
    folders = []
    for age, name in enumerate(reversed(names)):
        folder = root / name
        folder.mkdir()
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
        folders.append(folder)
    return list(reversed(folders))


def test_a_steps_folders_beyond_the_newest_are_deleted_and_other_steps_left(tmp_path):
    weekly = make_folders(tmp_path, [f"weekly_dbt_models-run{n}-abc{n}" for n in range(5)])
    other = make_folders(tmp_path, ["cross_week_dbt_models-run0-x", "compiled"])
    deleted = prune_run_folders(weekly[-1], keep=3)
    assert deleted == weekly[:2]
    remaining = sorted(path.name for path in tmp_path.iterdir())
    assert remaining == sorted(folder.name for folder in [*weekly[2:], *other])


def test_the_current_folder_stays_even_when_it_is_not_the_newest(tmp_path):
    current, newer = make_folders(tmp_path, ["weekly_dbt_models-a-1", "weekly_dbt_models-b-2"])
    assert prune_run_folders(current, keep=1) == [newer]
    assert current.is_dir()
