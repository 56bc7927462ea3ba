"""The written findings of a week's page, section by section, from its tables as shown.

As on the report page, every number is a table cell and a sentence whose cells the page
lacks is left out; the services are those with a row in the week's usage table.
"""

from collections.abc import Iterator

from dagster_project.report.outline import Facts, join_words
from dagster_project.report.tables import DIRECTIONS
from dagster_project.report.wording import (
    DATA_RULES,
    DIRECTION_WORDS,
    PLOT,
    SHOW,
    capitalised,
    known,
)

USAGE = "week_usage"
TOP_SHARES = "week_top_user_shares"
PORTS = "week_ports"
PEAK_HOURS = "week_peak_hours"
IPV6 = "week_ipv6_share"
# The context key of the week (its Monday) and of the analysis time zone.
WEEK = "week"
TIME_ZONE = "time_zone"
# The port table's last row holds the ports below the threshold, not a port.
OTHER_PORTS = "other"
PORTS_NAMED = 3


def services(facts: Facts) -> tuple[str, ...]:
    table = facts.table(USAGE)
    return tuple(row[0] for row in table.rows) if table else ()


def per_service(facts: Facts, template: str) -> list[str]:
    """The names the page gives an item drawn once per service."""
    return [f"{template}_{service}" for service in services(facts)]


def _value(facts: Facts, table: str, row: str, key: str) -> str | None:
    shown = facts.table(table)
    return shown.value(row, key) if shown else None


def _peak(facts: Facts, service: str, part: str) -> str | None:
    return _value(facts, PEAK_HOURS, f"{service} {facts.context[WEEK]}", part)


def about_the_data(facts: Facts) -> Iterator[str]:
    yield (
        f"This page covers the week from Monday {facts.context[WEEK]} 00:00 to Sunday 24:00 "
        f"({facts.context[TIME_ZONE]}), from that week's data alone."
    )
    yield from DATA_RULES


def method(facts: Facts) -> Iterator[str]:
    yield from facts.method


def overview(facts: Facts) -> Iterator[str | None]:
    """Each service's mean daily usage and weekday peak hour."""
    yield facts.lead(
        per_service(facts, "week_weekday_hourly"),
        SHOW,
        "the mean traffic by hour of day over Monday to Friday, downloads solid and uploads "
        "dotted.",
    )
    for service in services(facts):
        down, up = (_value(facts, USAGE, service, f"{d} mean_mb") for d in ("OUT", "IN"))
        if known(down, up):
            yield (
                f"{capitalised(service)} users downloaded a mean of {down} MB a day and "
                f"uploaded {up} MB ({facts.refer(USAGE)})."
            )
        hour = _peak(facts, service, "weekdays")
        if hour is not None:
            yield (
                f"{capitalised(service)} traffic peaked at {hour} on weekdays "
                f"({facts.refer(PEAK_HOURS)})."
            )


def usage(facts: Facts) -> Iterator[str | None]:
    """Mean, median and mode of daily usage per service and direction."""
    yield facts.lead(
        per_service(facts, "week_usage_density"),
        SHOW,
        "the distribution of users' daily usage on a log axis.",
    )
    for service in services(facts):
        for direction in reversed(DIRECTIONS):
            mean, median, mode = (
                _value(facts, USAGE, service, f"{direction} {statistic}")
                for statistic in ("mean_mb", "median_mb", "mode_mb")
            )
            if known(mean, median, mode):
                yield (
                    f"{capitalised(service)} {DIRECTION_WORDS[direction]}: a mean of {mean} MB "
                    f"a day, a median of {median} MB and a mode of {mode} MB "
                    f"({facts.refer(USAGE)})."
                )


def heavy_users(facts: Facts) -> Iterator[str | None]:
    """How much of the week's volume the top 10% and 1% of users take."""
    yield facts.lead(
        per_service(facts, "week_user_scatter"),
        PLOT,
        "each sampled user's upload against their download.",
    )
    for service in services(facts):
        row = f"{service} {facts.context[WEEK]}"
        top = [
            _value(facts, TOP_SHARES, row, f"top{share} {d}")
            for share in (10, 1)
            for d in ("OUT", "IN")
        ]
        if known(*top):
            yield (
                f"The top 10% of {service} users took {top[0]}% of the download volume (OUT) "
                f"and {top[1]}% of the upload volume (IN), the top 1% {top[2]}% and {top[3]}% "
                f"({facts.refer(TOP_SHARES)})."
            )


def _largest_ports(facts: Facts, service: str) -> list[tuple[str, str]]:
    """(row, share) of the service's largest ports, largest first (the table's order)."""
    table = facts.table(f"{PORTS}_{service}")
    if table is None:
        return []
    shares = [
        (row[0], table.value(row[0], "share_pct"))
        for row in table.rows
        if not row[0].startswith(OTHER_PORTS)
    ]
    return [(row, share) for row, share in shares if share is not None][:PORTS_NAMED]


def ports(facts: Facts) -> Iterator[str | None]:
    """The ports that carried the most of each service's bytes."""
    for service in services(facts):
        largest = _largest_ports(facts, service)
        if largest:
            (first, share), *others = largest
            followed = join_words([f"{row} ({other}%)" for row, other in others])
            yield (
                f"{first} carried the most {service} bytes, {share}%"
                f"{f', followed by {followed}' if followed else ''} "
                f"({facts.refer(f'{PORTS}_{service}')})."
            )


def peak_hours(facts: Facts) -> Iterator[str | None]:
    """Where each service's traffic peaks on weekdays and at weekends."""
    yield facts.lead(
        per_service(facts, "week_port_hours"), SHOW, "the week's hourly traffic by port."
    )
    for service in services(facts):
        weekdays, weekend = (_peak(facts, service, part) for part in ("weekdays", "weekend"))
        if known(weekdays, weekend):
            yield (
                f"{capitalised(service)} traffic peaked at {weekdays} on weekdays and at "
                f"{weekend} at weekends ({facts.refer(PEAK_HOURS)})."
            )


def ipv6(facts: Facts) -> Iterator[str | None]:
    """The share of each service's bytes carried over IPv6, per direction."""
    for service in services(facts):
        down, up = (_value(facts, IPV6, f"{service} {d}", "ipv6_share_pct") for d in ("OUT", "IN"))
        if known(down, up):
            yield (
                f"IPv6 carried {down}% of the {service} downloads (OUT) and {up}% of the "
                f"uploads (IN) ({facts.refer(IPV6)})."
            )


def conclusion(facts: Facts) -> Iterator[str | None]:
    """Per service: how concentrated the downloads are, the largest port and the peak."""
    for service in services(facts):
        clauses = []
        top = _value(facts, TOP_SHARES, f"{service} {facts.context[WEEK]}", "top10 OUT")
        if top is not None:
            clauses.append(f"the top 10% of users took {top}% of the downloads")
        largest = _largest_ports(facts, service)[:1]
        if largest:
            clauses.append(f"{largest[0][0]} carried the most bytes ({largest[0][1]}%)")
        hour = _peak(facts, service, "weekdays")
        if hour is not None:
            clauses.append(f"traffic peaked at {hour} on weekdays")
        if clauses:
            yield f"{capitalised(service)}: {'; '.join(clauses)}."
