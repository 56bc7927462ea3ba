"""Command line: `python -m dagster_project.cli report` materializes the whole default report.

Each week runs as one `weekly_report` run and the cross-week assets as one
`cross_week_report` run, recorded in the Dagster instance ($DAGSTER_HOME) so that the UI
shows them like scheduled runs.
"""

import argparse
import sys
from datetime import date

import dagster as dg

from dagster_project import settings
from dagster_project.partitions import default_weeks, week_key


def materialize_report(weeks: list[date]) -> bool:
    from dagster_project.definitions import defs

    instance = dg.DagsterInstance.get()
    weekly_job = defs.resolve_job_def("weekly_report")
    for week in weeks:
        print(f"Materializing week {week_key(week)}", flush=True)
        result = weekly_job.execute_in_process(
            partition_key=week_key(week), instance=instance, raise_on_error=False
        )
        if not result.success:
            print(f"Week {week_key(week)} failed; see run {result.run_id} in the UI", flush=True)
            return False
    print("Materializing the cross-week assets", flush=True)
    result = defs.resolve_job_def("cross_week_report").execute_in_process(
        instance=instance, raise_on_error=False
    )
    return result.success


def print_outputs() -> None:
    output = settings.output_dir()
    print(f"Warehouse: {settings.warehouse_path()}")
    print(f"Figures:   {output / 'figures'}")
    print(f"Tables:    {output / 'tables'}")
    print(f"Report:    {output / 'report'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="materialize the default report")
    report.add_argument(
        "--week",
        action="append",
        type=date.fromisoformat,
        help="analysis week (a Monday, YYYY-MM-DD); repeatable; default: every default week",
    )
    args = parser.parse_args(argv)
    ok = materialize_report(args.week or default_weeks())
    print_outputs()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
