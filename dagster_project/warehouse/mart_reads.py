"""Reading marts out of the warehouse for checks, figures, tables and the report."""

from collections.abc import Iterable
from datetime import date

import pandas as pd

from dagster_project.warehouse.connection import Warehouse
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS

YEAR_OF_WEEK = {week: year for year, week in COMPARISON_WEEKS.items()}


def read_week(warehouse: Warehouse, table: str, week_start: date) -> pd.DataFrame:
    """All rows of a weekly mart for one week, read without taking the writer lock."""
    with warehouse.connect(read_only=True) as con:
        return con.execute(
            f"select * from main.{table} where week_start = ? order by all", [week_start]
        ).df()


def read_weeks(
    warehouse: Warehouse, table: str, weeks: Iterable[date], where: str = "true"
) -> pd.DataFrame:
    """Rows of a weekly mart for the given weeks; an error names any week with no rows."""
    wanted = sorted(set(weeks))
    with warehouse.connect(read_only=True) as con:
        frame = con.execute(
            f"select * from main.{table} where week_start in ? and ({where}) order by all",
            [wanted],
        ).df()
    present = {pd.Timestamp(value).date() for value in frame["week_start"].unique()}
    missing = [week for week in wanted if week not in present]
    if missing:
        raise LookupError(
            f"main.{table} has no rows for week(s) {', '.join(map(str, missing))}: "
            "materialize those weeks first"
        )
    return frame


def read_table(warehouse: Warehouse, table: str) -> pd.DataFrame:
    """All rows of a cross-week mart."""
    with warehouse.connect(read_only=True) as con:
        return con.execute(f"select * from main.{table} order by all").df()


def service_rows(frame: pd.DataFrame, service: str) -> pd.DataFrame:
    """The rows of one service (broadband or mobile) of a mart."""
    return frame[frame["service"] == service]


def with_year(frame: pd.DataFrame) -> pd.DataFrame:
    """Label each comparison week's rows with the report year it stands for."""
    weeks = pd.to_datetime(frame["week_start"]).dt.date
    return frame.assign(report_year=weeks.map(YEAR_OF_WEEK))


def sampling_intervals(warehouse: Warehouse, weeks: Iterable[date]) -> dict[str, str]:
    """Each week's 1:N packet sampling intervals, where each came from and the exporters it
    applied to, as text: '1:4 from exporter_config (10.0.0.1, 10.0.0.2); ...'."""
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            """
            -- the few combinations first: the text is written for them, not for each record
            with combinations as (
                select distinct week_start, sampling_interval, sampling_origin, exporter
                from raw.flows
                where week_start in ?
            ),

            used as (
                select
                    week_start,
                    sampling_interval,
                    '1:' || sampling_interval || ' from '
                        || coalesce(sampling_origin, 'unknown') as interval_origin,
                    string_agg(distinct exporter, ', ' order by exporter) as exporters
                from combinations
                group by all
            )
            select week_start, string_agg(interval_origin || ' (' || exporters || ')', '; '
                order by sampling_interval, interval_origin)
            from used
            group by week_start
            order by week_start
            """,
            [sorted(set(weeks))],
        ).fetchall()
    return {str(week): intervals for week, intervals in rows}


def rejected_records(
    warehouse: Warehouse, weeks: Iterable[date]
) -> tuple[tuple[str, str, str, int], ...]:
    """(week, raw input, reason, records) the loads of these weeks sent to the quarantine."""
    with warehouse.connect(read_only=True) as con:
        rows = con.execute(
            "select week_start::varchar, source, reason, count(*) from raw.quarantine "
            "where week_start in ? group by all order by all",
            [sorted(set(weeks))],
        ).fetchall()
    return tuple((week, source, reason, int(records)) for week, source, reason, records in rows)
