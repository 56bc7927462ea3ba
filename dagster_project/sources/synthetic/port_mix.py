"""Protocol/port categories of the synthetic flows and how the published shares map onto them.

A category is a protocol with a port layout: `server` (a well-known port on the remote side,
an ephemeral port above it on the subscriber's side), `p2p` (a fixed dynamic port on one side,
a higher dynamic port on the other), `dynamic` (two dynamic ports, the lower one spread over
the whole dynamic range, so no single port stands out) or `none` (ESP, GRE, IP-in-IP, ICMP:
ports 0). The lower of the two ports always names the flow, as in the report.
"""

from dataclasses import dataclass

import numpy as np

from dagster_project.reference.seeds import report_protocols

# Category protocol names are the report's names (the seed report_protocols), lower-case;
# ICMPv6 shares ICMP's name, and the generator emits ICMP (the lowest number).
PROTOCOL_NUMBERS = {
    name.lower(): number for number, name in sorted(report_protocols().items(), reverse=True)
}
TCP, UDP, ICMP = PROTOCOL_NUMBERS["tcp"], PROTOCOL_NUMBERS["udp"], PROTOCOL_NUMBERS["icmp"]
IPIP, GRE, ESP = PROTOCOL_NUMBERS["ip-encap"], PROTOCOL_NUMBERS["gre"], PROTOCOL_NUMBERS["esp"]
EPHEMERAL_FIRST = 49152
P2P_PORT = 31000
# Other ports below 1024 that carry the rest of "TCP (< 1024)".
OTHER_WELL_KNOWN_TCP = (25, 110, 143, 465, 587, 853, 995, 21, 119, 554)
# Ports a dynamic pair must not start on, so that named ports keep their published share.
NAMED_DYNAMIC_PORTS = (1935, 4500, 8080, 8801, P2P_PORT, 51820)
# Share of mobile "other TCP" on well-known ports (Table 4 has no port-range subtotals).
MOBILE_OTHER_TCP_WELL_KNOWN = 0.25
ICMP_FLOOR_PERCENT = 0.01  # a trace of ICMP that still prints as 0.0 %


SERVER, P2P, DYNAMIC, NONE = 0, 1, 2, 3
LAYOUT_CODES = {"server": SERVER, "p2p": P2P, "dynamic": DYNAMIC, "none": NONE}


@dataclass(frozen=True)
class PortCategory:
    protocol: int
    layout: str  # server, p2p, dynamic, none
    port: int  # the naming (lower) port; 0 for dynamic and none

    @property
    def layout_code(self) -> int:
        return LAYOUT_CODES[self.layout]


def category_from_key(key: str) -> PortCategory:
    protocol_text, port_text = key.split("/")
    protocol = int(protocol_text)
    if port_text == "dynamic":
        return PortCategory(protocol, "dynamic", 0)
    port = int(port_text)
    if protocol not in (TCP, UDP):
        return PortCategory(protocol, "none", 0)
    return PortCategory(protocol, "p2p" if port == P2P_PORT else "server", port)


def port_mix(published: dict[str, dict[int, float]], year: int) -> dict[str, float]:
    """Byte shares (%) per category key for one year, summing to 100.

    `published` is Table 3 or Table 4 (row key -> {year: percent}). Years before the first
    published one are extrapolated linearly from the first two years and clipped at zero.
    """
    rows = {key: _value_for_year(values, year) for key, values in published.items()}
    mix: dict[str, float] = {}
    for key, value in rows.items():
        if "/" in key:
            protocol, port = key.split("/")
            mix[category_key(protocol, int(port))] = value
    tcp_named_low = sum(v for k, v in rows.items() if k.startswith("tcp/") and int(k[4:]) < 1024)
    tcp_named_high = sum(v for k, v in rows.items() if k.startswith("tcp/") and int(k[4:]) >= 1024)
    if "tcp<1024" in rows:
        low_rest = max(rows["tcp<1024"] - tcp_named_low, 0.0)
        high_rest = max(rows["tcp>=1024"] - tcp_named_high, 0.0)
    else:
        rest = max(rows["tcp"] - tcp_named_low - tcp_named_high, 0.0)
        low_rest = rest * MOBILE_OTHER_TCP_WELL_KNOWN
        high_rest = rest - low_rest
    for port in OTHER_WELL_KNOWN_TCP:
        mix[category_key("tcp", port)] = low_rest / len(OTHER_WELL_KNOWN_TCP)
    mix[f"{TCP}/dynamic"] = high_rest
    udp_named = sum(v for k, v in rows.items() if k.startswith("udp/"))
    mix[f"{UDP}/dynamic"] = max(rows["udp"] - udp_named, 0.0)
    for protocol in ("esp", "gre", "ip-encap"):
        if protocol in rows:
            mix[f"{PROTOCOL_NUMBERS[protocol]}/0"] = rows[protocol]
    mix[f"{ICMP}/0"] = max(rows.get("icmp", 0.0), ICMP_FLOOR_PERCENT)
    leftover = 100.0 - sum(mix.values())
    if leftover > 0 and "ip-encap" not in rows:
        mix[f"{IPIP}/0"] = leftover  # Table 4 lists no IP-in-IP row: the rest of the bytes
    total = sum(mix.values())
    return {key: round(100.0 * value / total, 4) for key, value in mix.items() if value > 0}


def category_key(protocol: str, port: int) -> str:
    return f"{PROTOCOL_NUMBERS[protocol]}/{port}"


def _value_for_year(values: dict[int, float], year: int) -> float:
    years = sorted(values)
    if year in values:
        return float(values[year])
    if year < years[0]:
        first, second = values[years[0]], values[years[1]]
        return max(first + (first - second) * (years[0] - year), 0.0)
    return float(values[years[-1]])


def assign_categories(
    weights: np.ndarray, shares: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Category index per connection such that byte shares match `shares` (fractions).

    Systematic sampling proportional to size: connections in random order are laid end to
    end on [0, 1) by bytes, and each takes the category whose share interval holds its
    midpoint. Every category's share is then exact up to the largest single connection.
    """
    order = rng.permutation(len(weights))
    cumulative = np.cumsum(weights[order])
    total = cumulative[-1] if len(cumulative) else 0.0
    if total <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    midpoints = (cumulative - weights[order] / 2) / total
    boundaries = np.cumsum(shares)[:-1] / np.sum(shares)
    categories = np.empty(len(weights), dtype=np.int64)
    categories[order] = np.searchsorted(boundaries, midpoints, side="right")
    return categories


def ports_for(
    categories: list[PortCategory], index: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Protocol, subscriber-side port and remote-side port for each connection."""
    protocol = np.array([c.protocol for c in categories], dtype=np.int16)[index]
    port = np.array([c.port for c in categories], dtype=np.int32)[index]
    layout = np.array([c.layout_code for c in categories], dtype=np.int8)[index]
    n = len(index)
    subscriber_port = np.zeros(n, dtype=np.int32)
    remote_port = np.zeros(n, dtype=np.int32)

    server = layout == SERVER
    low = np.where(port >= EPHEMERAL_FIRST, port + 1, EPHEMERAL_FIRST)
    subscriber_port[server] = rng.integers(low[server], 65536)
    remote_port[server] = port[server]

    p2p = layout == P2P
    other = rng.integers(P2P_PORT + 1, 65536, size=n)
    listens_here = rng.random(n) < 0.5
    subscriber_port[p2p] = np.where(listens_here, port, other)[p2p]
    remote_port[p2p] = np.where(listens_here, other, port)[p2p]

    dynamic = layout == DYNAMIC
    lower = rng.integers(1024, 65000, size=n)
    lower = np.where(np.isin(lower, NAMED_DYNAMIC_PORTS), lower + 1, lower)
    higher = lower + 1 + (rng.random(n) * (65535 - lower)).astype(np.int32)
    swap = rng.random(n) < 0.5
    subscriber_port[dynamic] = np.where(swap, lower, higher)[dynamic]
    remote_port[dynamic] = np.where(swap, higher, lower)[dynamic]
    return protocol, subscriber_port, remote_port
