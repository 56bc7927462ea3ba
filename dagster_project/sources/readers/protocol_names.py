"""IP protocol names as flow tools print them, mapped to protocol numbers.

nfdump 1.7.0-1.7.4 prints the protocol of a CSV record as a short name from its own
table (index = protocol number; numbers above the table are printed as digits).
pmacct and GoFlow2 print IANA keywords (`tcp`, `udp`, `ipv6-icmp`). The two tables
disagree on some names (nfdump's `IPIP` is 4, IANA's `ipip` is 94), so each reader
uses the table of the tool that wrote the file.
"""

import duckdb

from dagster_project.sources.readers.text_sql import integer_sql

# nfdump's protocol names, index = protocol number. Where nfdump uses one name twice
# (IPIP 4/94, IDPR 35/38) it resolves the name to the first number, and so do we.
NFDUMP_PROTOCOL_NAMES: tuple[str, ...] = (
    "0", "ICMP", "IGMP", "GGP", "IPIP", "ST", "TCP", "CBT", "EGP", "IGP",
    "BBN", "NVPII", "PUP", "ARGUS", "ENCOM", "XNET", "CHAOS", "UDP", "MUX", "DCN",
    "HMP", "PRM", "XNS", "Trnk1", "Trnk2", "Leaf1", "Leaf2", "RDP", "IRTP", "ISO-4",
    "NETBK", "MFESP", "MEINP", "DCCP", "3PC", "IDPR", "XTP", "DDP", "IDPR", "TP++",
    "IL", "IPv6", "SDRP", "Rte6", "Frag6", "IDRP", "RSVP", "GRE", "MHRP", "BNA",
    "ESP", "AH", "INLSP", "SWIPE", "NARP", "MOBIL", "TLSP", "SKIP", "ICMP6", "NOHE6",
    "OPTS6", "HOST", "CFTP", "NET", "SATNT", "KLAN", "RVD", "IPPC", "FS", "SATM",
    "VISA", "IPCV", "CPNX", "CPHB", "WSN", "PVP", "BSATM", "SUNND", "WBMON", "WBEXP",
    "ISOIP", "VMTP", "SVMTP", "VINES", "TTP", "NSIGP", "DGP", "TCF", "EIGRP", "OSPF",
    "S-RPC", "LARP", "MTP", "AX.25", "IPIP", "MICP", "SCCSP", "ETHIP", "ENCAP", "99",
    "GMTP", "IFMP", "PNNI", "PIM", "ARIS", "SCPS", "QNX", "A/N", "IPcmp", "SNP",
    "CpqPP", "IPXIP", "VRRP", "PGM", "0hop", "L2TP", "DDX", "IATP", "STP", "SRP",
    "UTI", "SMP", "SM", "PTP", "ISIS4", "FIRE", "CRTP", "CRUDP", "128", "IPLT",
    "SPS", "PIPE", "SCTP", "FC", "134", "MHEAD", "UDP-L", "MPLS",
)  # fmt: skip

# IANA protocol keywords (as in /etc/protocols), lower case, with the aliases pmacct
# and GoFlow2 print.
IANA_PROTOCOL_NUMBERS: dict[str, int] = {
    "hopopt": 0, "ip": 0, "icmp": 1, "igmp": 2, "ggp": 3, "ipencap": 4, "ipv4": 4,
    "ip-encap": 4, "st": 5, "tcp": 6, "egp": 8, "igp": 9, "pup": 12, "udp": 17,
    "hmp": 20, "xns-idp": 22, "rdp": 27, "iso-tp4": 29, "dccp": 33, "xtp": 36,
    "ddp": 37, "idpr-cmtp": 38, "ipv6": 41, "ipv6-route": 43, "ipv6-frag": 44,
    "idrp": 45, "rsvp": 46, "gre": 47, "esp": 50, "ipsec-esp": 50, "ah": 51,
    "ipsec-ah": 51, "skip": 57, "ipv6-icmp": 58, "icmpv6": 58, "icmp6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "rspf": 73, "vmtp": 81, "eigrp": 88,
    "ospf": 89, "ospfigp": 89, "ax.25": 93, "ipip": 94, "etherip": 97, "encap": 98,
    "pim": 103, "ipcomp": 108, "vrrp": 112, "l2tp": 115, "isis": 124, "sctp": 132,
    "fc": 133, "mobility-header": 135, "udplite": 136, "mpls-in-ip": 137, "hip": 139,
    "shim6": 140, "wesp": 141, "rohc": 142, "ethernet": 143,
}  # fmt: skip

NFDUMP_PROTOCOL_TABLE = "ingest_nfdump_protocols"
IANA_PROTOCOL_TABLE = "ingest_iana_protocols"


def nfdump_protocol_numbers() -> dict[str, int]:
    """Name -> number as nfdump resolves it (first occurrence wins)."""
    numbers: dict[str, int] = {}
    for number, name in enumerate(NFDUMP_PROTOCOL_NAMES):
        numbers.setdefault(name, number)
    return numbers


def register_protocol_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the name -> number lookup tables the readers join against."""
    for table, numbers in (
        (NFDUMP_PROTOCOL_TABLE, nfdump_protocol_numbers()),
        (IANA_PROTOCOL_TABLE, IANA_PROTOCOL_NUMBERS),
    ):
        con.execute(f"create or replace temp table {table} (name varchar, number smallint)")
        con.executemany(f"insert into {table} values (?, ?)", list(numbers.items()))


def protocol_lookup_sql(text: str, table: str) -> tuple[str, str]:
    """(protocol number expression, LEFT JOIN clause) for protocol text in digits or a name.

    Names are matched as the writing tool prints them: nfdump's table case-sensitively,
    IANA keywords in any case. NULL when the text is neither.
    """
    key = text if table == NFDUMP_PROTOCOL_TABLE else f"lower({text})"
    join = f"left join {table} as protocol_names on protocol_names.name = {key}"
    number = f"coalesce({integer_sql(text, 'utinyint')}::smallint, protocol_names.number)"
    return number, join
