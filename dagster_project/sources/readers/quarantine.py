"""Splitting parsed input records into canonical rows and quarantine rows.

Every reader turns one input file into a SELECT with the canonical flow columns (typed
where the text parsed; try_cast leaves NULL where it did not), `source_file`, `source_row`,
the original record text as `record` (NULL from a reader of typed files, which writes the
record of a rejected row afterwards: `fill_parquet_records`), and `malformed` naming a
structural problem (wrong field count, invalid JSON) or NULL.
`stage_parsed_flows` gives each record at most one reason, the first of `flow_checks` that
fails, and appends good records to `staged_flows` and the others to `staged_quarantine`.
Reasons are fixed categories so that they can be counted; the record text says the rest.
For a file that can be read twice, `stage_flows_of_file` first stages only the records that
pass, in one write, and goes through `stage_parsed_flows` only when some did not.

Text readers hand over addresses as text (`FLOW_RECORDS`), which the load turns into numbers;
a reader that has the numbers already (`nfcapd_records`) stages them as the lake keeps them
(`FLOWS`) in `staged_flow_numbers`: the two `StagedShape`s.
"""

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.sources.raw_schema import FLOW_RECORDS, FLOWS, QUARANTINE, RawTable
from dagster_project.sources.readers.text_sql import parquet_record_sql
from dagster_project.weeks.analysis_week import AnalysisWeek

STAGED_FLOWS = "staged_flows"
STAGED_FLOW_NUMBERS = "staged_flow_numbers"
STAGED_QUARANTINE = "staged_quarantine"
CHECKED_FLOWS = "ingest_checked_flows"
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


IPV4_PATTERN = (
    r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
    r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
)
HEX_GROUP = "[0-9A-Fa-f]{1,4}"


def _ipv6_pattern() -> str:
    """Textual IPv6 as one regular expression: eight groups, or at most seven around a
    single '::' (k before it and at most 7 - k after, for each k)."""
    compressed = []
    for before in range(8):
        left = "" if before == 0 else f"({HEX_GROUP}:){{{before - 1}}}{HEX_GROUP}"
        after = 7 - before
        right = f"({HEX_GROUP}(:{HEX_GROUP}){{0,{after - 1}}})?" if after else ""
        compressed.append(f"{left}::{right}")
    return "|".join([f"({HEX_GROUP}:){{7}}{HEX_GROUP}", *compressed])


IPV6_PATTERN = _ipv6_pattern()

# A trailing dotted IPv4 address of an IPv6 text stands for two groups. One regular
# expression per family, so that a record's check is one match (it runs on every flow end).
IS_IP_ADDRESS_MACRO = f"""
create or replace temp macro ingest_ipv6_groups(addr) as
    regexp_replace(addr, ':{IPV4_PATTERN}$', ':0:0');
create or replace temp macro ingest_is_ip(addr) as (
    addr is not null and case
        when not contains(addr, ':') then regexp_full_match(addr, '{IPV4_PATTERN}')
        else regexp_full_match(ingest_ipv6_groups(addr), '{IPV6_PATTERN}')
    end
);
"""


@dataclass(frozen=True)
class StagedShape:
    """Where a reader's good records go, in which columns, and when their address is none."""

    table: str
    records: RawTable
    unparseable_address: str


TEXT_ADDRESSES = StagedShape(
    STAGED_FLOWS, FLOW_RECORDS, "not ingest_is_ip(src_addr) or not ingest_is_ip(dst_addr)"
)
# A reader of numbers leaves the halves NULL for an address it cannot read.
ADDRESS_NUMBERS = StagedShape(
    STAGED_FLOW_NUMBERS,
    FLOWS,
    "src_addr_hi is null or src_addr_lo is null or dst_addr_hi is null or dst_addr_lo is null",
)


@dataclass
class FileCounts:
    """What one input file contributed."""

    path: str
    rows: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)


def flow_checks(shape: StagedShape) -> tuple[tuple[str, str], ...]:
    """(reason, SQL condition that makes a record fail), in the order they are tested, after
    the reader's own structural verdict in `malformed`; the address condition is the shape's."""
    return (
        (
            "missing or unparseable timestamp",
            # Collectors print time 0 (1970-01-01) for a flow whose exporter sent no time.
            "flow_start is null or flow_end is null or flow_start = '1970-01-01'::timestamp",
        ),
        ("unknown protocol", "protocol is null"),
        ("unparseable address", shape.unparseable_address),
        ("invalid port", "src_port is null or dst_port is null"),
        ("unparseable counts", "bytes is null or packets is null"),
        ("non-positive counts", "bytes <= 0 or packets <= 0"),
        ("sampling rate 0 and no sampling_interval configured", "sampling_interval is null"),
        # raw.flows keeps the interval as INTEGER; readers parse it wider so that a larger one
        # is this record's problem rather than a failed file.
        ("invalid sampling interval", f"sampling_interval not between 1 and {INT32_MAX}"),
        (
            # stg_flows multiplies unscaled counts in BIGINT: an overflow would fail the week's
            # dbt run without naming a record. Packets are multiplied alike, so checked alike.
            "bytes x sampling interval exceeds 64 bits",
            "not counts_scaled and "
            f"greatest(bytes, packets)::hugeint * sampling_interval > {INT64_MAX}",
        ),
        ("flow ends before it starts", "flow_end < flow_start"),
        ("outside the partition week", "flow_start < $week_start or flow_start >= $week_end"),
    )


def _canonical_columns(table: RawTable) -> list[str]:
    return [name for name in table.column_names if name != "week_start"]


def create_staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Empty temp tables `staged_flows`, `staged_flow_numbers` and `staged_quarantine` shaped
    like the records they take."""
    for shape in (TEXT_ADDRESSES, ADDRESS_NUMBERS):
        con.execute(shape.records.create_staging_sql(shape.table))
    con.execute(QUARANTINE.create_staging_sql(STAGED_QUARANTINE))
    con.execute(IS_IP_ADDRESS_MACRO)


def reason_sql(shape: StagedShape = TEXT_ADDRESSES) -> str:
    """A CASE expression naming the first failed check, NULL for a good record."""
    branches = "\n".join(
        f"    when {condition} then '{reason}'" for reason, condition in flow_checks(shape)
    )
    return f"case\n    when malformed is not null then malformed\n{branches}\nend"


def _checked_sql(parsed_sql: str, shape: StagedShape) -> str:
    """The parsed records with the `reason` each failed (NULL for a good one); the record
    text only for rejected records: good ones are fully described by their canonical
    columns, and copying every line would double the work."""
    return (
        f"select * replace (case when reason is not null then record end as record) "
        f"from (select *, {reason_sql(shape)} as reason from ({parsed_sql}) as parsed)"
    )


def _insert_good(
    con: duckdb.DuckDBPyConnection,
    checked_sql: str,
    shape: StagedShape,
    parameters: dict[str, Any] | None = None,
) -> int:
    """Append the records of `checked_sql` (with their `reason`) that failed no check to the
    shape's staged flows; how many."""
    flow_columns = ", ".join(_canonical_columns(shape.records))
    (inserted,) = con.execute(
        f"insert into {shape.table} ({flow_columns}) select {flow_columns} "
        f"from ({checked_sql}) as checked where reason is null",
        parameters,
    ).fetchone()
    return int(inserted)


def _quarantine_checked(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Append the rejected records of the checked table to the quarantine; how many for each
    reason."""
    con.execute(
        f"insert into {STAGED_QUARANTINE} (source, source_file, source_row, reason, record) "
        f"select '{FLOW_RECORDS.name}', source_file, source_row, reason, record "
        f"from {CHECKED_FLOWS} where reason is not null"
    )
    counts = con.execute(
        f"select reason, count(*) from {CHECKED_FLOWS} where reason is not null "
        f"group by reason order by reason"
    ).fetchall()
    con.execute(f"drop table {CHECKED_FLOWS}")
    return {reason: int(count) for reason, count in counts}


def stage_flows_of_file(
    con: duckdb.DuckDBPyConnection,
    parsed: Callable[[], AbstractContextManager[str]],
    week: AnalysisWeek,
    path: str,
    shape: StagedShape,
    records_read: Callable[[], int],
) -> FileCounts:
    """`stage_parsed_flows` for a file that can be read twice (`parsed` gives the SQL of its
    parsed records, each time read anew; `records_read` says how many the last reading
    gave): the records that pass every check go to the staged flows in one write, and only
    when some did not is the file read again, for those alone, into the quarantine. A clean
    file is so written once, not held whole in a checked table and then copied."""
    week_bounds = {"week_start": week.utc_start, "week_end": week.utc_end}
    with parsed() as parsed_sql:
        staged = _insert_good(con, _checked_sql(parsed_sql, shape), shape, week_bounds)
    counts = FileCounts(path=path, rows=staged)
    if staged == records_read():
        return counts
    with parsed() as parsed_sql:
        con.execute(
            f"create or replace temp table {CHECKED_FLOWS} as select * "
            f"from ({_checked_sql(parsed_sql, shape)}) as checked where reason is not null",
            week_bounds,
        )
    counts.quarantined = _quarantine_checked(con)
    return counts


def stage_parsed_flows(
    con: duckdb.DuckDBPyConnection,
    parsed_sql: str,
    week: AnalysisWeek,
    path: str,
    shape: StagedShape = TEXT_ADDRESSES,
) -> FileCounts:
    """Check every parsed record of one file and append it to the shape's staged flows or to
    the quarantine."""
    con.execute(
        f"create or replace temp table {CHECKED_FLOWS} as {_checked_sql(parsed_sql, shape)}",
        {"week_start": week.utc_start, "week_end": week.utc_end},
    )
    rows = _insert_good(con, f"select * from {CHECKED_FLOWS}", shape)
    return FileCounts(path=path, rows=rows, quarantined=_quarantine_checked(con))


def fill_parquet_records(
    con: duckdb.DuckDBPyConnection, path: Path, columns: Sequence[str]
) -> None:
    """The record text of the rows of Parquet file `path` quarantined without it, read back
    from the file: a reader of typed files makes it for its rejected rows only."""
    rejected = (
        f"select source_row from {STAGED_QUARANTINE} where source_file = $file and record is null"
    )
    con.execute(
        f"""
        update {STAGED_QUARANTINE} as rejected set record = records.line
        from ({parquet_record_sql(path, tuple(columns), rejected)}) as records
        where rejected.source_file = $file and rejected.record is null
            and rejected.source_row = records.line_number
        """,
        {"file": str(path)},
    )
