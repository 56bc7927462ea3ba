"""One analysis week: Monday 00:00 to the next Monday 00:00 in the analysis time zone.

An `AnalysisWeek` is built once from a partition key (or a Monday) and passed down: its key,
local and UTC bounds and dbt environment are derived here and nowhere else.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dagster_project.settings import analysis_timezone, first_week

# The first week that can be analysed (configuration; the partitions start here).
FIRST_WEEK = first_week()
DAYS_PER_WEEK = 7
UTC = ZoneInfo("UTC")


@dataclass(frozen=True, order=True)
class AnalysisWeek:
    """A week of the analysis, identified by its local Monday."""

    start: date
    timezone: str = field(default_factory=analysis_timezone, compare=False)

    def __post_init__(self) -> None:
        if self.start.weekday() != 0:
            raise ValueError(f"an analysis week starts on a Monday, not on {self.start}")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not at the first use

    @classmethod
    def from_key(cls, key: str, timezone: str | None = None) -> "AnalysisWeek":
        """The week of a partition key (`YYYY-MM-DD`, its Monday)."""
        return cls(date.fromisoformat(key), timezone or analysis_timezone())

    @property
    def key(self) -> str:
        """The partition key, also the week's name in file names and tables."""
        return self.start.isoformat()

    @property
    def end(self) -> date:
        """The Monday after the week (exclusive)."""
        return self.start + timedelta(days=DAYS_PER_WEEK)

    @property
    def local_start(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time(), ZoneInfo(self.timezone))

    @property
    def local_end(self) -> datetime:
        return datetime.combine(self.end, datetime.min.time(), ZoneInfo(self.timezone))

    @property
    def utc_start(self) -> datetime:
        """Start as a naive UTC datetime, the form timestamps take in the raw tables."""
        return self.local_start.astimezone(UTC).replace(tzinfo=None)

    @property
    def utc_end(self) -> datetime:
        return self.local_end.astimezone(UTC).replace(tzinfo=None)

    def dbt_environment(self) -> dict[str, str]:
        """The environment the weekly dbt models read the week from (dbt/macros/analysis_week.sql):
        its Monday and the analysis time zone."""
        return {"TRAFFICREPORT_WEEK": self.key, "TRAFFICREPORT_TZ": self.timezone}

    def __str__(self) -> str:
        return self.key
