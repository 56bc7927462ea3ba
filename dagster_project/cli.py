"""Command line: materialize the whole default report, or one week through to its own page.

`python -m dagster_project.cli report` runs each default week as one `weekly_report` run and
the cross-week assets as one `cross_week_report` run; `python -m dagster_project.cli week
2019-09-23` runs only that week's `weekly_report` run, which ends with the week's page. Runs
are recorded in the Dagster instance ($DAGSTER_HOME), so the UI shows them like scheduled
runs.
"""

import argparse
import sys
from datetime import UTC, datetime

import dagster as dg

from dagster_project import settings
from dagster_project.weeks.analysis_week import FIRST_WEEK, AnalysisWeek
from dagster_project.weeks.reference_weeks import default_weeks


def materialize_weeks(weeks: list[AnalysisWeek]) -> bool:
    """One `weekly_report` run per week, oldest first; stops at the first failed week."""
    from dagster_project.definitions import defs

    instance = dg.DagsterInstance.get()
    weekly_job = defs.resolve_job_def("weekly_report")
    for week in weeks:
        print(f"Materializing week {week}", flush=True)
        result = weekly_job.execute_in_process(
            partition_key=week.key, instance=instance, raise_on_error=False
        )
        if not result.success:
            print(f"Week {week} failed; see run {result.run_id} in the UI", flush=True)
            return False
    return True


def materialize_report(weeks: list[AnalysisWeek]) -> bool:
    from dagster_project.definitions import defs

    if not materialize_weeks(weeks):
        return False
    print("Materializing the cross-week assets", flush=True)
    result = defs.resolve_job_def("cross_week_report").execute_in_process(
        instance=dg.DagsterInstance.get(), raise_on_error=False
    )
    return result.success


def analysis_week(text: str) -> AnalysisWeek:
    """An analysis week from its Monday (YYYY-MM-DD), from the first week to the last complete."""
    try:
        week = AnalysisWeek.from_key(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text} is not an analysis week: {error}") from error
    if week.start < FIRST_WEEK or week.local_end > datetime.now(UTC):
        raise argparse.ArgumentTypeError(
            f"{text} is not an analysis week (a Monday from {FIRST_WEEK} "
            "up to the last complete week)"
        )
    return week


def report_command(args: argparse.Namespace) -> bool:
    ok = materialize_report(args.week or [AnalysisWeek(week) for week in default_weeks()])
    output = settings.output_dir()
    print(f"Warehouse: {settings.warehouse_path()}")
    print(f"Figures:   {output / 'figures'}")
    print(f"Tables:    {output / 'tables'}")
    print(f"Report:    {output / 'report'}")
    return ok


def week_command(args: argparse.Namespace) -> bool:
    from dagster_project.defs.assets.page_assets import week_page_path

    ok = materialize_weeks([args.week])
    print(f"Warehouse: {settings.warehouse_path()}")
    print(f"Report:    {week_page_path(args.week.key)}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_project.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="materialize the default report")
    report.add_argument(
        "--week",
        action="append",
        type=analysis_week,
        help="analysis week (a Monday, YYYY-MM-DD); repeatable; default: every default week",
    )
    report.set_defaults(run=report_command)
    week = commands.add_parser(
        "week", help="materialize one analysis week through to its own report page"
    )
    week.add_argument("week", type=analysis_week, help="the week's Monday, YYYY-MM-DD")
    week.set_defaults(run=week_command)
    args = parser.parse_args(argv)
    return 0 if args.run(args) else 1


if __name__ == "__main__":
    sys.exit(main())
