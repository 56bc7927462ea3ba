"""Sensors: the cross-week run after the weekly ones, the inbox of new flow exports, and the
runs whose process died."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project import settings
from dagster_project.defs.jobs import cross_week_job, weekly_report_job
from dagster_project.defs.resources import SourcesResource, fail_dead_runs
from dagster_project.defs.schedules import SCHEDULE_HOUR
from dagster_project.sources import inbox
from dagster_project.sources.source_config import SourceConfigError
from dagster_project.weeks.analysis_week import FIRST_WEEK

# Runs of the weekly job that have not finished yet.
UNFINISHED_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
# Files dated per sensor tick; DuckDB scans each new CSV once, and a tick must stay short.
MAX_FILES_PER_TICK = 50


def unfinished_weekly_runs(instance: dg.DagsterInstance) -> int:
    return instance.get_runs_count(
        dg.RunsFilter(job_name=weekly_report_job.name, statuses=UNFINISHED_STATUSES)
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[weekly_report_job],
    request_job=cross_week_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a successful weekly_report run, rebuilds the cross-week assets "
    "(five-year tables, monthly totals, figures, report) once no other weekly run is "
    "queued or running, so that a backfill ends in one cross-week run. Runs whose process "
    "was killed are marked failed first, not waited for.",
)
def cross_week_after_weekly(context: dg.RunStatusSensorContext):
    # A killed run stays STARTED: counted as running, it would hold the cross-week run back
    # for ever.
    for note in fail_dead_runs(context.instance):
        context.log.warning(note)
    waiting = unfinished_weekly_runs(context.instance)
    if waiting:
        return dg.SkipReason(f"{waiting} weekly_report run(s) still queued or running")
    return dg.RunRequest(run_key=f"after-{context.dagster_run.run_id}")


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every minute, marks failed the runs whose process on this host ended (killed, "
    "crashed) without finishing them: runs of the command line and of `dagster asset "
    "materialize`, which Dagster's run monitoring cannot check. Otherwise they stay STARTED, "
    "and the run queue and cross_week_after_weekly wait for them for ever.",
)
def dead_run_monitor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    notes = fail_dead_runs(context.instance)
    for note in notes:
        context.log.warning(note)
    return dg.SkipReason("\n".join(notes) or "no run of a dead process")


def first_open_week(now: datetime, tz: str) -> date:
    """Monday of the oldest week the weekly schedule has not yet materialized at `now`."""
    local = now.astimezone(ZoneInfo(tz)) - timedelta(hours=SCHEDULE_HOUR)
    return inbox.monday_of(local.date())


def _describe(weeks: dict[date, list[inbox.InboxFile]]) -> str:
    return ", ".join(f"{week.isoformat()} ({len(files)} file(s))" for week, files in weeks.items())


def inbox_run_requests(plan: inbox.InboxPlan) -> list[dg.RunRequest]:
    return [
        dg.RunRequest(
            partition_key=week.isoformat(),
            run_key=f"inbox-{week.isoformat()}-{inbox.file_set_digest(files)}",
            tags={"trafficreport/trigger": "inbox", "trafficreport/new_files": str(len(files))},
        )
        for week, files in sorted(plan.ready.items())
    ]


def _log_plan(context: dg.SensorEvaluationContext, plan: inbox.InboxPlan) -> None:
    if plan.unread:
        context.log.warning(
            f"Not read by any flow source of sources.yaml: {', '.join(plan.unread)}"
        )
    if plan.open_weeks:
        context.log.info(
            f"Left to the weekly schedule (week not over): {_describe(plan.open_weeks)}"
        )
    if plan.outside:
        context.log.warning(f"Flows before the first week {FIRST_WEEK}: {_describe(plan.outside)}")
    for reason in plan.undated:
        context.log.warning(f"Cannot tell the week of {reason}")


@dg.sensor(
    job=weekly_report_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the inbox folder (TRAFFICREPORT_INBOX, default data/inbox) and "
    "materializes each finished week that new flow exports belong to, once per new file set.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, sources: SourcesResource):
    try:
        config = sources.read()
    except SourceConfigError as error:
        return dg.SkipReason(f"invalid sources configuration:\n{error}")
    if config.kind == "synthetic" or config.files is None:
        return dg.SkipReason("sources.yaml reads the synthetic source, not collector files")
    analysis_tz = settings.analysis_timezone()
    plan = inbox.plan_inbox(
        settings.inbox_dir(),
        inbox.InboxCursor.parse(context.cursor),
        first_week=FIRST_WEEK,
        ready_from=first_open_week(datetime.now(UTC), analysis_tz),
        analysis_tz=analysis_tz,
        file_timezone=inbox.timezone_by_flow_source(config.files.flows),
        max_files=MAX_FILES_PER_TICK,
    )
    _log_plan(context, plan)
    context.update_cursor(plan.cursor.serialize())
    requests = inbox_run_requests(plan)
    if not requests:
        return dg.SkipReason(f"no new files of a finished week in {settings.inbox_dir()}")
    return requests
