"""The canonical raw schema: what every source (synthetic or a real collector) lands in.

All timestamps are naive UTC. Volumes in `raw.flows` are as the source reported them;
`counts_scaled` says whether the source already multiplied them by the sampling interval
(nfdump does, GoFlow2 and the synthetic generator do not), and staging scales the rest;
`sampling_origin` says where each record's interval came from (`SAMPLING_ORIGINS`).
Weekly tables carry `week_start` (the partition key, a Monday in the analysis time zone)
so that one week can be replaced exactly.
"""

from dataclasses import dataclass

RAW_SCHEMA = "raw"
# Where a flow record's sampling interval came from, most trusted first; `unknown` means
# unscaled counts with no interval from anywhere, counted as 1:1.
SAMPLING_ORIGINS = ("record", "collector", "exporter_config", "source_config", "unknown")


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    description: str

    @property
    def nullable_type(self) -> str:
        """The type without its NOT NULL constraint."""
        return self.sql_type.removesuffix(" not null")


@dataclass(frozen=True)
class RawTable:
    name: str
    description: str
    columns: tuple[Column, ...]
    weekly: bool = True

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def create_sql(self) -> str:
        return f"create table if not exists {self.qualified_name} (\n    {self._body()}\n)"

    def create_staging_sql(self, name: str) -> str:
        """An empty temp table `name` with this table's columns except `week_start`."""
        body = ",\n    ".join(f"{c.name} {c.sql_type}" for c in self.columns if c is not WEEK_START)
        return f"create or replace temp table {name} (\n    {body}\n)"

    def _body(self) -> str:
        return ",\n    ".join(f"{c.name} {c.sql_type}" for c in self.columns)


WEEK_START = Column("week_start", "date not null", "Analysis week (Monday, analysis time zone).")

FLOW_RECORDS = RawTable(
    name="flows",
    description="Sampled NetFlow/IPFIX flow records from the routers terminating customers.",
    columns=(
        WEEK_START,
        Column("flow_start", "timestamp not null", "First packet of the flow, UTC."),
        Column("flow_end", "timestamp not null", "Last packet of the flow, UTC."),
        Column("src_addr", "varchar not null", "Source IPv4 or IPv6 address, textual."),
        Column("dst_addr", "varchar not null", "Destination IPv4 or IPv6 address, textual."),
        Column("src_port", "integer not null", "Source port; 0 for protocols without ports."),
        Column("dst_port", "integer not null", "Destination port; 0 for protocols without ports."),
        Column("protocol", "smallint not null", "IP protocol number (6 TCP, 17 UDP, 50 ESP, ...)."),
        Column("bytes", "bigint not null", "Bytes as reported by the source."),
        Column("packets", "bigint not null", "Packets as reported by the source."),
        Column("sampling_interval", "integer not null", "1:N packet sampling interval N."),
        Column(
            "counts_scaled",
            "boolean not null",
            "True when bytes/packets are already multiplied by the sampling interval.",
        ),
        Column(
            "sampling_origin",
            "varchar not null",
            "Where sampling_interval came from: record (the record carries it), collector (it "
            "scaled the counts), exporter_config or source_config (sources.yaml), unknown "
            "(unscaled, nothing configured: taken as 1:1).",
        ),
        Column("service", "varchar not null", "broadband or mobile (the exporter's service)."),
        Column("exporter", "varchar not null", "Exporter (router) or source name."),
        Column("source_file", "varchar not null", "File the record was read from."),
        Column("source_row", "bigint not null", "Row (line or record number) in that file."),
    ),
)

ASSIGNMENT_RECORDS = RawTable(
    name="assignments",
    description="Which subscriber held which address or prefix when (RADIUS/DHCP logs).",
    columns=(
        WEEK_START,
        Column("subscriber_id", "varchar not null", "Subscription (broadband) or phone number."),
        Column("service", "varchar not null", "broadband or mobile."),
        Column("access", "varchar not null", "pppoe, ipoe or mobile."),
        Column("customer_class", "varchar not null", "personal or enterprise."),
        Column("address", "varchar not null", "IPv4/IPv6 address or CIDR prefix."),
        Column("valid_from", "timestamp not null", "Start of the assignment, UTC, inclusive."),
        Column("valid_to", "timestamp", "End of the assignment, UTC, exclusive; null = open."),
        Column("source_file", "varchar not null", "File the record was read from."),
    ),
)

USAGE_COUNTERS = RawTable(
    name="usage_counters",
    description="Per-subscriber daily volumes where no flow detail exists (mobile billing, IPoE).",
    columns=(
        WEEK_START,
        Column("subscriber_id", "varchar not null", "Subscription or phone number."),
        Column("service", "varchar not null", "broadband or mobile."),
        Column("access", "varchar not null", "ipoe or mobile."),
        Column("customer_class", "varchar not null", "personal or enterprise."),
        Column("day", "date not null", "Day in the analysis time zone."),
        Column("bytes_in", "bigint not null", "Bytes uploaded by the subscriber that day."),
        Column("bytes_out", "bigint not null", "Bytes downloaded by the subscriber that day."),
        Column("source_file", "varchar not null", "File the record was read from."),
    ),
)

MONTHLY_TOTALS = RawTable(
    name="monthly_totals",
    description="Monthly total traffic per service, access and direction (interface counters).",
    weekly=False,
    columns=(
        Column("month", "date not null", "First day of the month."),
        Column("service", "varchar not null", "broadband or mobile."),
        Column("access", "varchar not null", "pppoe, ipoe or mobile."),
        Column("direction", "varchar not null", "IN (upload) or OUT (download)."),
        Column("bytes", "hugeint not null", "Total bytes in the month."),
        Column("source_file", "varchar not null", "File the record was read from."),
    ),
)

QUARANTINE = RawTable(
    name="quarantine",
    description="Input records rejected while loading, with the reason; never silently dropped.",
    columns=(
        WEEK_START,
        Column("source", "varchar not null", "Which raw table the record was meant for."),
        Column("source_file", "varchar not null", "File the record came from."),
        Column("source_row", "bigint", "Line or record number in that file, when known."),
        Column("reason", "varchar not null", "Why the record was rejected."),
        Column("record", "varchar", "The rejected record, as text."),
    ),
)


def _halves(name: str, what: str) -> tuple[Column, Column]:
    return (
        Column(
            f"{name}_hi",
            "bigint not null",
            f"{what}: high 64 bits of its 128-bit number (IPv4 as ::ffff:a.b.c.d), "
            "two's complement.",
        ),
        Column(f"{name}_lo", "bigint not null", f"{what}: low 64 bits, two's complement."),
    )


def _with_numbers(records: RawTable, numbers: dict[str, tuple[Column, ...]]) -> RawTable:
    """The stored table of a record shape: each address text replaced by its numbers."""
    columns: list[Column] = []
    for column in records.columns:
        columns.extend(numbers.get(column.name, (column,)))
    return RawTable(name=records.name, description=records.description, columns=tuple(columns))


# What the readers and the generator deliver (addresses as text) and what the warehouse
# keeps: addresses become numbers at load (sources/address_numbers.py) and the text goes.
FLOWS = _with_numbers(
    FLOW_RECORDS,
    {
        "src_addr": _halves("src_addr", "Source address"),
        "dst_addr": _halves("dst_addr", "Destination address"),
    },
)
ASSIGNMENTS = _with_numbers(
    ASSIGNMENT_RECORDS,
    {
        "address": (
            *_halves("network", "Assigned address or prefix"),
            Column(
                "prefix_len",
                "smallint not null",
                "Prefix length as written (IPv4 /1-32, IPv6 /1-128); a single address is /32 "
                "or /128.",
            ),
        )
    },
)

RAW_TABLES: tuple[RawTable, ...] = (FLOWS, ASSIGNMENTS, USAGE_COUNTERS, MONTHLY_TOTALS, QUARANTINE)
