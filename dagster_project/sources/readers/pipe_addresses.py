"""The lake's address numbers from the words of nfdump's `pipe` output.

`pipe` prints an address as its family (2 = IPv4, 10 = IPv6) and four 32-bit words, most
significant first; IPv4 is the last word. The lake keeps every address as the two signed
64-bit halves of its 128-bit number, IPv4 as `::ffff:a.b.c.d` (`address_numbers`), so an
IPv6 address's halves are its word pairs and an IPv4 address's are 0 and the mapped word.

One exception: `::a.b.c.d` (IPv4-compatible, deprecated by RFC 4291) is read as the IPv4
address a.b.c.d. That is how `pipe` prints the records of exporters whose template carries
both IPv4 and IPv6 address fields (Cisco's, for one), which nfdump's JSON lists with both
an IPv4 and an IPv6 address, and the JSON reader takes the IPv4 one.
"""

from dagster_project.sources.address_numbers import IPV4_MAPPED_LO

AF_INET6 = 10
WORD_SPAN = 1 << 32


def _half_sql(high_word: str, low_word: str) -> str:
    """Two unsigned 32-bit words as one two's complement BIGINT: the high word signed."""
    signed_high = f"({high_word}::bigint - ({high_word} >> 31)::bigint * {WORD_SPAN})"
    return f"({signed_high} * {WORD_SPAN} + {low_word})"


def address_halves_sql(prefix: str, name: str) -> str:
    """`<name>_hi` and `<name>_lo` of the address in `af` and the words `<prefix>0..3`."""
    w0, w1, w2, w3 = (f"{prefix}{index}" for index in range(4))
    ipv4 = f"(af <> {AF_INET6} or ({w0} = 0 and {w1} = 0 and {w2} = 0 and {w3} >> 16 <> 0))"
    return (
        f"case when {ipv4} then 0 else {_half_sql(w0, w1)} end as {name}_hi, "
        f"case when {ipv4} then {IPV4_MAPPED_LO} + {w3} else {_half_sql(w2, w3)} end "
        f"as {name}_lo"
    )
