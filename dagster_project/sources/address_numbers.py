"""Addresses as numbers: each address becomes two signed 64-bit halves once, at load.

Every address, IPv4 or IPv6, is one 128-bit number: IPv6 as written, IPv4 as its
IPv4-mapped form `::ffff:a.b.c.d` (RFC 4291 2.5.5.2), so one pair of columns holds both
families and `hi = 0 and lo >> 32 = 0xffff` says IPv4. The number is stored as its high and
low 64 bits, each a BIGINT read as two's complement: exact on every engine (Spark has no
128-bit unsigned type) and cheap to join. A prefix of `n` bits is the pair's top `n` bits;
arithmetic shifts keep them apart (two numbers share their top bits exactly when their
shifted halves are equal), so signed halves need no unsigned arithmetic.

The readers hand over text that passed the quarantine's address check; text that is no
address gives NULL halves (and the NOT NULL columns refuse it). The text's forms
(upper or lower case, `::` compression, leading zeros, a trailing dotted IPv4 as in
`64:ff9b::192.0.2.1`, surrounding blanks) all give the same number.
"""

import ipaddress

import duckdb

# The IPv4-mapped block ::ffff:0:0/96: an IPv4 address is this plus its 32-bit value.
IPV4_MAPPED_LO = 0xFFFF << 32
GROUP_SPAN = 1 << 16
HALF_SPAN = 1 << 64

# DuckDB macros: the text's eight 16-bit groups, and a half from four of them. Built in
# steps (each a macro of the previous) so that no step's text is repeated in the next.
ADDRESS_MACROS = f"""
create or replace temp macro address_trimmed(address) as lower(trim(address));
-- two octets of a dotted IPv4 address as one 16-bit group
create or replace temp macro address_pair(dotted, first) as
    try_cast(split_part(dotted, '.', first) as utinyint)::integer * 256
        + try_cast(split_part(dotted, '.', first + 1) as utinyint)::integer;
-- a trailing dotted IPv4 address becomes the two groups it stands for
create or replace temp macro address_hex(address) as case
    when not contains(address, ':') then address
    when contains(address, '.') then regexp_replace(address, '[0-9.]+$', '') || printf(
        '%x:%x',
        address_pair(regexp_extract(address, '[0-9.]+$'), 1),
        address_pair(regexp_extract(address, '[0-9.]+$'), 3)
    )
    else address
end;
-- '::' becomes as many '0' groups as are missing, so that there are eight
create or replace temp macro address_expanded(address) as case
    when address = '::' then '0:0:0:0:0:0:0:0'
    when contains(address, '::') then trim(replace(
        address,
        '::',
        ':' || repeat('0:', 8 - (len(list_filter(string_split(address, ':'), lambda g: g <> ''))))
    ), ':')
    else address
end;
create or replace temp macro address_group_list(address) as case
    when not contains(address, ':') then case when len(string_split(address, '.')) = 4 then
        [0, 0, 0, 0, 0, 65535, address_pair(address, 1), address_pair(address, 3)]
    end
    else list_transform(
        string_split(address_expanded(address_hex(address)), ':'),
        lambda g: try_cast('0x' || g as usmallint)::integer
    )
end;
-- NULL unless exactly eight groups, each a number. The one-element list names the groups
-- once without a subquery, which DuckDB would run as a join over every distinct address
-- (twice the time, and the memory of that join).
create or replace temp macro address_groups(address) as list_transform(
    [address_group_list(address)],
    lambda groups: case when len(groups) = 8 and list_count(groups) = 8 then groups end
)[1];
-- four 16-bit groups as a two's complement BIGINT: the top group signed, the rest added
create or replace temp macro address_half(g1, g2, g3, g4) as
    (g1 - case when g1 >= {GROUP_SPAN // 2} then {GROUP_SPAN} else 0 end)::bigint
        * {1 << 48} + g2::bigint * {1 << 32} + g3::bigint * {GROUP_SPAN} + g4::bigint;
"""


def create_address_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ADDRESS_MACROS)


def halves_select_sql(relation: str, text_column: str, prefix: str) -> str:
    """`relation` with `<prefix>_hi` and `<prefix>_lo` added: the halves of `text_column`.

    The text is parsed once per row of `relation`; callers hand it distinct texts."""
    return f"""
        select * exclude (address_groups_), {_half("address_groups_", 1)} as {prefix}_hi,
            {_half("address_groups_", 5)} as {prefix}_lo
        from (
            select *, address_groups(address_trimmed({text_column})) as address_groups_
            from ({relation})
        )
    """


def _half(groups: str, first: int) -> str:
    terms = ", ".join(f"{groups}[{first + offset}]" for offset in range(4))
    return f"address_half({terms})"


def is_ipv4_sql(hi: str, lo: str) -> str:
    """SQL: whether the halves are an IPv4 address (in the IPv4-mapped block)."""
    return f"({hi} = 0 and {lo} >> 32 = {0xFFFF})"


def halves_of(text: str) -> tuple[int, int]:
    """The halves of one address, computed in Python (for tests and tools)."""
    address = ipaddress.ip_address(text.strip())
    number = int(address) | (IPV4_MAPPED_LO if address.version == 4 else 0)
    return _signed(number >> 64), _signed(number % HALF_SPAN)


def network_of(text: str) -> tuple[int, int, int]:
    """The halves and prefix length of an address or CIDR prefix, computed in Python."""
    address, _, length = text.strip().partition("/")
    hi, lo = halves_of(address)
    width = 32 if ":" not in address else 128
    return hi, lo, int(length) if length else width


def _signed(half: int) -> int:
    return half - HALF_SPAN if half >= HALF_SPAN // 2 else half


_FLOW_ADDRESSES = "flow_address_numbers"


def numbered_flows_sql(con: duckdb.DuckDBPyConnection, flows: str) -> str:
    """A query of the flow records `flows` with `src_addr` and `dst_addr` replaced by their
    halves; read it before numbering the next relation (it reads a temp table this replaces).

    A flow address repeats across many flows, so each distinct text is parsed once and the
    flows take its numbers by a join (four times faster than parsing every row)."""
    create_address_macros(con)
    distinct_texts = (
        f"select distinct address from (select src_addr as address from {flows} "
        f"union all select dst_addr from {flows})"
    )
    con.execute(
        f"create or replace temp table {_FLOW_ADDRESSES} as "
        f"{halves_select_sql(distinct_texts, 'address', 'address')}"
    )
    ends = ("src", "dst")
    numbers = ", ".join(
        f"{end}.address_hi as {end}_addr_hi, {end}.address_lo as {end}_addr_lo" for end in ends
    )
    joins = " ".join(
        f"join {_FLOW_ADDRESSES} as {end} on {end}.address = flows.{end}_addr" for end in ends
    )
    return f"(select flows.* exclude (src_addr, dst_addr), {numbers} from {flows} as flows {joins})"


def numbered_assignments_sql(relation: str, text_column: str = "address") -> str:
    """`relation` with the address or CIDR prefix `text_column` replaced by `network_hi`,
    `network_lo` and `prefix_len` (a single address: 32 for IPv4, 128 for IPv6)."""
    networks = halves_select_sql(
        f"select *, split_part({text_column}, '/', 1) as network_text, "
        f"nullif(trim(split_part({text_column}, '/', 2)), '') as prefix_text from {relation}",
        "network_text",
        "network",
    )
    width = f"case when {is_ipv4_sql('network_hi', 'network_lo')} then 32 else 128 end"
    return (
        f"select * exclude ({text_column}, network_text, prefix_text), "
        f"coalesce(prefix_text::smallint, {width}) as prefix_len from ({networks})"
    )


def number_text_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a warehouse whose raw tables kept address text to numbers: every row gets the
    numbers of its text (a text already cut to a network, those of the network; a text that
    is no address, NULL) and the text columns are dropped."""
    create_address_macros(con)
    for end in ("src", "dst"):
        texts = f"select distinct {end}_addr, split_part({end}_addr, '/', 1) as address_text"
        _replace_text_column(
            con,
            "raw.flows",
            f"{end}_addr",
            halves_select_sql(f"{texts} from raw.flows", "address_text", f"{end}_addr"),
            (f"{end}_addr_hi", f"{end}_addr_lo"),
        )
    _replace_text_column(
        con,
        "raw.assignments",
        "address",
        numbered_assignments_sql(
            "(select distinct address, address as address_text from raw.assignments)",
            "address_text",
        ),
        ("network_hi", "network_lo", "prefix_len"),
    )


def _replace_text_column(
    con: duckdb.DuckDBPyConnection,
    table: str,
    text_column: str,
    numbers_sql: str,
    number_columns: tuple[str, ...],
) -> None:
    schema, name = table.split(".")
    ((found,),) = con.execute(
        "select count(*) from duckdb_columns() "
        "where schema_name = ? and table_name = ? and column_name = ?",
        [schema, name, text_column],
    ).fetchall()
    if not found:
        return
    assignments = ", ".join(f"{column} = numbers.{column}" for column in number_columns)
    con.execute(
        f"update {table} set {assignments} from ({numbers_sql}) as numbers "
        f"where numbers.{text_column} = {table}.{text_column}"
    )
    con.execute(f"alter table {table} drop column {text_column}")
