"""The sampling interval of flow records that carry none and arrive unscaled.

nfcapd leaves the records of an exporter unsampled when it did not learn (or did not apply)
its sampling, nfdump CSV and pmacct records carry no interval unless aggregated with it, and
GoFlow2 records decoded before the exporter's options say rate 0. For those records the
source configuration gives the interval: the exporter's entry in `exporter_sampling` (origin
`exporter_config`, as an ISP keeps it in its router inventory), else the source's
`sampling_interval` (`source_config`), else nothing (NULL, origin `unknown`: the reader
counts them as 1:1 or quarantines them, and `gx_sampling_origin` warns about the week).
"""

from dataclasses import dataclass

from dagster_project.sources.source_config import FlowSource
from dagster_project.sources.sql_literals import sql_string


@dataclass(frozen=True)
class ConfiguredSampling:
    """SQL expressions for a record without an interval of its own."""

    interval: str  # integer, NULL when nothing is configured
    origin: str  # text, one of raw_schema.SAMPLING_ORIGINS


def configured_sampling(source: FlowSource, exporter: str) -> ConfiguredSampling:
    """The configured interval and its origin for records of the exporter named by the SQL
    expression `exporter` (an address or a name, as `exporter_sampling` keys are)."""
    interval = "null" if source.sampling_interval is None else str(source.sampling_interval)
    origin = "'unknown'" if source.sampling_interval is None else "'source_config'"
    if not source.exporter_sampling:
        return ConfiguredSampling(interval, origin)
    branches = " ".join(
        f"when {sql_string(name)} then {rate}"
        for name, rate in sorted(source.exporter_sampling.items())
    )
    per_exporter = f"(case {exporter} {branches} end)"
    return ConfiguredSampling(
        f"coalesce({per_exporter}, {interval})",
        f"case when {per_exporter} is not null then 'exporter_config' else {origin} end",
    )
