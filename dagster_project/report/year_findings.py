"""The written findings of the report page, section by section, from its tables as shown.

Each writer takes the page's facts and yields sentences built from table cells; a sentence
whose cells the tables lack (a year or month the marts do not have) is left out. The years
compared are the rows of Table 1: its last row is this year, the one before it last year.
"""

import re
from collections.abc import Iterator

from dagster_project.report.outline import Facts, join_words
from dagster_project.report.tables import DIRECTIONS, ReportTable
from dagster_project.report.wording import (
    DIRECTION_WORDS,
    PLOT,
    SHOW,
    Change,
    capitalised,
    changes,
    factor,
    growth,
    known,
    movement,
    said,
)

SERVICES = ("broadband", "mobile")
USAGE_TABLES = {"broadband": "table_1_broadband_usage", "mobile": "table_2_mobile_usage"}
PORT_TABLES = {"broadband": "table_3_broadband_ports", "mobile": "table_4_mobile_ports"}
TOP_SHARES = "table_top_user_shares"
PEAK_HOURS = "table_peak_hours"
GROWTH = "table_traffic_growth"
# The protocols whose shares open the port paragraph; how many ports it names as the
# largest gains and losses of share. A port row's key is its protocol and a port number.
MAIN_PROTOCOLS = ("TCP", "UDP")
PORTS_NAMED = 2
PORT_ROW = re.compile(r"\w+ \d")
# The context key of the last month of the monthly totals, as the growth table heads it.
TO_MONTH = "to_month"
PEAK_PARTS = (("weekdays", "on weekdays"), ("weekend", "at weekends"))


def years(facts: Facts) -> tuple[str, ...]:
    """The report years, oldest first: the rows of Table 1."""
    table = facts.table(USAGE_TABLES["broadband"])
    return tuple(row[0] for row in table.rows) if table else ()


def _last_two(facts: Facts) -> tuple[str, str] | None:
    shown = years(facts)
    return (shown[-2], shown[-1]) if len(shown) >= 2 else None


def _growth(facts: Facts, service: str, direction: str, key: str) -> str | None:
    table = facts.table(GROWTH)
    return table.value(f"{service} {direction}", key) if table else None


def _per_direction(up: Change, down: Change) -> str:
    return changes((up, f"for {DIRECTION_WORDS['IN']}"), (down, f"for {DIRECTION_WORDS['OUT']}"))


def _growth_cells(facts: Facts, service: str, keys: tuple[str, ...]) -> list[str] | None:
    """The growth table's cells of each key, IN then OUT; None unless it shows them all."""
    cells = [_growth(facts, service, direction, key) for key in keys for direction in DIRECTIONS]
    return cells if known(*cells) else None


def year_on_year_growth(facts: Facts) -> Iterator[str | None]:
    """Overview: each service's monthly traffic over the last year and the year before."""
    yield facts.lead(("figure_01_monthly_traffic",), PLOT, "each service's monthly traffic.")
    for service in SERVICES:
        cells = _growth_cells(facts, service, ("year_on_year_pct", "year_earlier_pct"))
        if cells:
            up, down, up_before, down_before = cells
            yield (
                f"Over the year to {facts.context[TO_MONTH]}, {service} monthly traffic "
                f"{_per_direction(growth(up), growth(down))}; in the year before, {up_before}% "
                f"and {down_before}% ({facts.refer(GROWTH)})."
            )


def weekday_hours(facts: Facts) -> Iterator[str | None]:
    yield facts.lead(
        ("figure_02_weekday_hourly_recent",),
        SHOW,
        "broadband traffic by hour of day on weekdays in weeks of the past year, downloads "
        "solid and uploads dotted.",
    )


def distributions(facts: Facts) -> Iterator[str | None]:
    pair = _last_two(facts)
    if pair:
        yield facts.lead(
            ("figure_03_usage_density_broadband", "figure_04_usage_density_mobile"),
            ("compares", "compare"),
            f"the distributions of users' daily usage in {pair[0]} and {pair[1]} on a log axis.",
        )


def _usage_sentence(facts: Facts, service: str, direction: str) -> str | None:
    table, pair = facts.table(USAGE_TABLES[service]), _last_two(facts)
    if table is None or pair is None:
        return None
    mean, median, mode = (
        [table.value(year, f"{direction} {statistic}") for year in pair]
        for statistic in ("mean_mb", "median_mb", "mode_mb")
    )
    if not known(*mean, *median, *mode):
        return None
    # A mode that stayed in its bin gets no factor: it would only repeat "stayed" as 1.00.
    stayed = mode[0] == mode[1]
    times = None if stayed else _growth(facts, service, direction, "mode_year_on_year")
    of_mode = f", a factor of {times}" if times else ""
    sources = facts.refer(USAGE_TABLES[service], *([GROWTH] if times else []))
    return (
        f"{capitalised(service)} {DIRECTION_WORDS[direction]}: the mean daily usage "
        f"{movement(*mean, ' MB', (f'in {pair[0]}', f'in {pair[1]}'))}, the median "
        f"{movement(*median, ' MB')} and the mode {movement(*mode, ' MB')}{of_mode} "
        f"({sources})."
    )


def usage(facts: Facts) -> Iterator[str | None]:
    """Mean, median and mode of daily usage, this year against last, downloads first."""
    for service in SERVICES:
        for direction in reversed(DIRECTIONS):
            yield _usage_sentence(facts, service, direction)


def _top_shares(table: ReportTable, row: str) -> list[str | None]:
    """Top 10% OUT, top 10% IN, top 1% OUT, top 1% IN of one row of the top-share table."""
    return [table.value(row, f"top{top} {d}") for top in (10, 1) for d in reversed(DIRECTIONS)]


def heavy_users(facts: Facts) -> Iterator[str | None]:
    """How much of the volume the top 10% and 1% of users take, this year and last."""
    yield facts.lead(
        ("figure_05_user_scatter_broadband", "figure_06_user_scatter_mobile"),
        PLOT,
        "each sampled user's upload against their download.",
    )
    table, pair = facts.table(TOP_SHARES), _last_two(facts)
    if table is None or pair is None:
        return
    for service in SERVICES:
        now = _top_shares(table, f"{service} {pair[1]}")
        before = _top_shares(table, f"{service} {pair[0]}")[:2]
        if not known(*now):
            continue
        earlier = (
            f" In {pair[0]} the top 10% took {before[0]}% and {before[1]}%."
            if known(*before)
            else ""
        )
        yield (
            f"In {pair[1]}, the top 10% of {service} users took {now[0]}% of the download "
            f"volume (OUT) and {now[1]}% of the upload volume (IN), the top 1% {now[2]}% and "
            f"{now[3]}% ({facts.refer(TOP_SHARES)}).{earlier}"
        )


def _protocol_shares(table: ReportTable, service: str, pair: tuple[str, str]) -> str | None:
    clauses = []
    for protocol in MAIN_PROTOCOLS:
        before, after = (table.value(protocol, year) for year in pair)
        if known(before, after):
            verb = "" if clauses else "carried "
            clauses.append(f"{protocol} {verb}{after}% ({pair[0]}: {before}%)")
    if not clauses:
        return None
    return f"In {pair[1]}, {join_words(clauses)} of the {service} bytes"


def _port_changes(table: ReportTable, pair: tuple[str, str]) -> list[tuple[float, str]]:
    """(change in points, 'TCP 443 (https) from 56.9% to 53.8%') of every port row whose
    shown share changed, in the table's order."""
    changes = []
    for key in table.row_keys:
        before, after = (table.value(key, year) for year in pair)
        if PORT_ROW.match(key) and known(before, after) and float(after) != float(before):
            changes.append((float(after) - float(before), f"{key} from {before}% to {after}%"))
    return changes


def _gains_and_losses(table: ReportTable, pair: tuple[str, str]) -> str | None:
    changes = _port_changes(table, pair)
    gains = sorted((c for c in changes if c[0] > 0), key=lambda c: -c[0])[:PORTS_NAMED]
    losses = sorted((c for c in changes if c[0] < 0), key=lambda c: c[0])[:PORTS_NAMED]
    clauses = [
        f"the largest {one if len(rows) == 1 else many} of share "
        f"{'was' if len(rows) == 1 else 'were'} {join_words([words for _, words in rows])}"
        for (one, many), rows in ((("gain", "gains"), gains), (("loss", "losses"), losses))
        if rows
    ]
    return f"Among the ports, {'; '.join(clauses)}." if clauses else None


def ports(facts: Facts) -> Iterator[str | None]:
    """Shares of TCP and UDP this year and last, and the ports that gained or lost most."""
    pair = _last_two(facts)
    for service in SERVICES:
        table = facts.table(PORT_TABLES[service])
        if table is None or pair is None:
            continue
        shares = _protocol_shares(table, service, pair)
        if shares:
            yield f"{shares} ({facts.refer(PORT_TABLES[service])})."
        yield _gains_and_losses(table, pair)


def _peak_part(now: str, before: str | None, words: str, last_year: str) -> str:
    if before is None:
        return f"{words} at {now}"
    if before == now:
        return f"{words} at {now}, as in {last_year}"
    return f"{words} at {now} ({last_year}: {before})"


def peak_hours(facts: Facts) -> Iterator[str | None]:
    """Where the peak hour falls on weekdays and at weekends, and how it moved."""
    yield facts.lead(
        ("figure_07_port_week_broadband", "figure_08_port_week_mobile"),
        SHOW,
        "the hourly traffic of each analysis week by port, last year's week on top.",
    )
    table, pair = facts.table(PEAK_HOURS), _last_two(facts)
    if table is None or pair is None:
        return
    for service in SERVICES:
        parts = []
        for key, words in PEAK_PARTS:
            now = table.value(f"{service} {pair[1]}", key)
            if now is not None:
                before = table.value(f"{service} {pair[0]}", key)
                parts.append(_peak_part(now, before, words, pair[0]))
        if parts:
            yield (
                f"In {pair[1]}, {service} traffic peaked {'; '.join(parts)} "
                f"({facts.refer(PEAK_HOURS)})."
            )


def five_year_hours(facts: Facts) -> Iterator[str | None]:
    yield facts.lead(
        ("figure_09_weekday_hourly_five_years",),
        SHOW,
        "weekday broadband traffic by hour of day in a week before the pandemic and in each "
        "year's comparison week since.",
    )
    yield facts.lead(("figure_10_weekday_uploads_five_years",), SHOW, "the uploads alone.")


def five_year_growth(facts: Facts) -> Iterator[str | None]:
    """Each service's five-year growth factors of monthly traffic and their annual rate."""
    for service in SERVICES:
        cells = _growth_cells(facts, service, ("five_years", "five_years_per_year"))
        if cells:
            up, down, up_rate, down_rate = cells
            yield (
                f"Over the five years to {facts.context[TO_MONTH]}, {service} monthly traffic "
                f"{_per_direction(factor(up), factor(down))}, {up_rate}x and {down_rate}x a "
                f"year ({facts.refer(GROWTH)})."
            )


def _mode_growth(facts: Facts, service: str, direction: str) -> tuple[Change, str] | None:
    """The mode's change from the first year to the last and what it is of."""
    table, shown = facts.table(USAGE_TABLES[service]), years(facts)
    if table is None or len(shown) < 2:
        return None
    first, last = (table.value(year, f"{direction} mode_mb") for year in (shown[0], shown[-1]))
    times = _growth(facts, service, direction, "mode_five_years")
    if not known(first, last, times):
        return None
    return factor(times), f"for {DIRECTION_WORDS[direction]}, from {first} MB to {last} MB"


def five_year_modes(facts: Facts) -> Iterator[str | None]:
    """How far the mode of daily usage moved from the first report year to this one."""
    shown = years(facts)
    yield facts.lead(
        ("figure_11_usage_density_five_years",),
        SHOW,
        "the broadband distributions of every report year.",
    )
    for service in SERVICES:
        described = [_mode_growth(facts, service, d) for d in reversed(DIRECTIONS)]
        if all(described):
            sources = facts.refer(USAGE_TABLES[service], GROWTH)
            yield (
                f"From {shown[0]} to {shown[-1]}, the mode of {service} users' daily usage "
                f"{changes(*described)} ({sources})."
            )


def ipv6(facts: Facts) -> Iterator[str | None]:
    yield facts.lead(
        ("figure_12_ipv6_share",),
        ("follows", "follow"),
        "the share of each service's bytes carried over IPv6 through every week in the "
        "warehouse (not in the published report).",
    )


def _largest_port(facts: Facts, service: str, year: str) -> str | None:
    table = facts.table(PORT_TABLES[service])
    if table is None:
        return None
    shares = [
        (float(cell), key, cell)
        for key in table.row_keys
        if PORT_ROW.match(key) and (cell := table.value(key, year)) is not None
    ]
    if not shares:
        return None
    _, key, cell = max(shares, key=lambda share: share[0])
    return (
        f"{key} carried the most {service} bytes of any port in {year}, {cell}% "
        f"({facts.refer(PORT_TABLES[service])})."
    )


def conclusion(facts: Facts) -> Iterator[str | None]:
    """The year's growth of downloads, their five-year growth and the largest port."""
    yearly = [_growth(facts, service, "OUT", "year_on_year_pct") for service in SERVICES]
    if known(*yearly):
        yield (
            f"Over the year to {facts.context[TO_MONTH]}, broadband downloads "
            f"{said(growth(yearly[0]))} and mobile downloads {said(growth(yearly[1]))} "
            f"({facts.refer(GROWTH)})."
        )
    five = _growth(facts, "broadband", "OUT", "five_years")
    if five is not None:
        yield f"Over five years, broadband downloads {said(factor(five))}."
    shown = years(facts)
    for service in SERVICES:
        yield _largest_port(facts, service, shown[-1]) if shown else None
