"""Address text from the numbers of nfdump's `pipe` output, as inet_ntop prints it.

`pipe` prints an address as its family (2 = IPv4, 10 = IPv6) and four 32-bit words; IPv4
is the last word. The text must be what nfdump's other outputs (inet_ntop) and the other
collectors print, so that the same flow reads the same whatever the format: dotted IPv4,
and for IPv6 lower-case hex groups without leading zeros, the first of the longest runs of
two or more zero groups written `::`, and IPv4-mapped addresses (`::ffff:a.b.c.d`) ending in
dotted form (glibc's inet_ntop).

One exception: `::a.b.c.d` (IPv4-compatible, deprecated by RFC 4291) is read as the IPv4
address a.b.c.d. That is how `pipe` prints the records of exporters whose template carries
both IPv4 and IPv6 address fields (Cisco's, for one), which nfdump's JSON lists with both
an IPv4 and an IPv6 address, and the JSON reader takes the IPv4 one.
"""

AF_INET6 = 10
WORDS = 4
_ZERO_RUNS = [f"':{'0:' * run}'" for run in range(8, 1, -1)]  # longest first

# The IPv6 text is built in steps, one column each, so that no step's expression is
# repeated inside the next. `{e}` is the address's column prefix ('sa' or 'da').
_IPV6_STEPS = (
    # ':h1:h2:...:h8:' in lower-case hex without leading zeros
    (
        "{e}_groups",
        f"case when af = {AF_INET6} then lower(concat(':', "
        + ", ':', ".join(f"hex({{e}}{w} >> 16), ':', hex({{e}}{w} & 65535)" for w in range(WORDS))
        + ", ':')) end",
    ),
    # the longest run of two or more zero groups (the first of equally long ones)
    (
        "{e}_run",
        "case "
        + " ".join(f"when contains({{e}}_groups, {run}) then {run}" for run in _ZERO_RUNS)
        + " end",
    ),
    (
        "{e}_spliced",
        "case when {e}_run is null then {e}_groups else concat(left({e}_groups, "
        "strpos({e}_groups, {e}_run) - 1), '::', "
        "substr({e}_groups, strpos({e}_groups, {e}_run) + length({e}_run))) end",
    ),
    # the outer colons go, those of a '::' stay
    (
        "{e}_opened",
        "case when starts_with({e}_spliced, '::') then {e}_spliced else substr({e}_spliced, 2) end",
    ),
    (
        "{e}_ipv6",
        "case when ends_with({e}_opened, '::') then {e}_opened else left({e}_opened, -1) end",
    ),
)


def with_ipv6_text_sql(relation: str, prefixes: tuple[str, ...] = ("sa", "da")) -> str:
    """`relation` (a SELECT with `af` and the words `<prefix>0..3`) with the IPv6 text of each
    address added as `<prefix>_ipv6` (NULL for IPv4 records)."""
    for name, expression in _IPV6_STEPS:
        columns = ", ".join(
            f"{expression.format(e=prefix)} as {name.format(e=prefix)}" for prefix in prefixes
        )
        relation = f"select *, {columns} from ({relation})"
    return relation


def _dotted_sql(word: str) -> str:
    return (
        f"concat({word} >> 24, '.', ({word} >> 16) & 255, '.', ({word} >> 8) & 255, '.', "
        f"{word} & 255)"
    )


def address_sql(prefix: str) -> str:
    """The text of the address `<prefix>`, from a relation of `with_ipv6_text_sql`."""
    w0, w1, w2, w3 = (f"{prefix}{index}" for index in range(WORDS))
    return f"""case
        when af <> {AF_INET6} then {_dotted_sql(w3)}
        when {w0} = 0 and {w1} = 0 and {w2} = 65535 then concat('::ffff:', {_dotted_sql(w3)})
        when {w0} = 0 and {w1} = 0 and {w2} = 0 and {w3} >> 16 <> 0 then {_dotted_sql(w3)}
        else {prefix}_ipv6
    end"""
