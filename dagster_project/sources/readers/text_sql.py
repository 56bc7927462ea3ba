"""SQL building blocks shared by the readers: line-numbered text, conversions."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.sources.sql_literals import literal_path_sql, sql_string

# A field separator that does not occur in flow exports, so that read_csv hands over each
# physical line whole and numbers it (WITH ORDINALITY follows file order).
_WHOLE_LINE = "\x1f"
# The end of timestamp text that names its zone: a time of day followed by `Z`, an offset
# (`+09`, `+09:00`, `-0330`) or a zone name (`UTC`, `Asia/Tokyo`).
_ZONE_SUFFIX = (
    r"[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)?\s*"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2}){0,2}|[A-Za-z][A-Za-z0-9_/+-]*)\s*$"
)
# Integer text, optionally with a zero fraction; surrounding blanks are allowed.
_WHOLE_NUMBER = r"\s*[+-]?[0-9]+(\.0*)?\s*"

# What a text field is held as; the type DuckDB names a column of text.
TEXT = "VARCHAR"
INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
NAIVE_TIMESTAMP, ZONED_TIMESTAMP = "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"
# The types of a typed file's column (Parquet) that are read as they are, by the declared
# type of the raw column it fills: for these the conversions below give what they give the
# column's text, without making the text. A column of any other type is read as its text,
# like a CSV field (a float port, a timestamp in nanoseconds).
_KEPT_TYPES: dict[str, frozenset[str]] = {
    "integer": INTEGER_TYPES,
    "smallint": INTEGER_TYPES,
    "bigint": INTEGER_TYPES,
    "hugeint": INTEGER_TYPES,
    "timestamp": frozenset({NAIVE_TIMESTAMP, ZONED_TIMESTAMP}),
    "boolean": frozenset({"BOOLEAN"}),
    "date": frozenset({"DATE"}),
    "varchar": frozenset({TEXT}),
}


@dataclass(frozen=True)
class FileRecords:
    """A file's records as a relation: `line_number`, `line` (the record's text, NULL where
    it is made only for a rejected record: `parquet_record_sql`) and the wanted columns,
    each held as text unless `types` names the type it is held as."""

    sql: str
    types: Mapping[str, str] = field(default_factory=dict)

    def held(self, column: str) -> str:
        return self.types.get(column, TEXT)


def lines_sql(path: str | Path) -> str:
    """One row per line of a text file: `line_number` (from 1) and `line`."""
    return (
        "select ordinality::bigint as line_number, line "
        f"from read_csv({literal_path_sql(path)}, columns = {{'line': 'varchar'}}, header = false, "
        f"delim = '{_WHOLE_LINE}', quote = '', escape = '', auto_detect = false, "
        "strict_mode = false) with ordinality"
    )


def local_to_utc_sql(expression: str, timezone: str) -> str:
    """Naive local timestamps of `timezone` as naive UTC timestamps."""
    if timezone.upper() == "UTC":
        return expression
    return f"timezone('UTC', timezone({sql_string(timezone)}, {expression}))"


def timestamp_sql(expression: str, timezone: str, held: str = TEXT) -> str:
    """Naive UTC from timestamp text: an offset or zone in the text wins, else `timezone`.

    A cast to TIMESTAMP drops an offset silently, and a cast of naive text to TIMESTAMPTZ
    takes DuckDB's session TimeZone, which defaults to the host's: so each text takes the
    one cast that does not depend on either. A typed timestamp is naive or zoned already.
    """
    if held == NAIVE_TIMESTAMP:
        return local_to_utc_sql(expression, timezone)
    if held == ZONED_TIMESTAMP:
        return f"timezone('UTC', {expression})"
    zoned = f"timezone('UTC', try_cast({expression} as timestamptz))"
    naive = local_to_utc_sql(f"try_cast({expression} as timestamp)", timezone)
    return f"case when regexp_matches({expression}, '{_ZONE_SUFFIX}') then {zoned} else {naive} end"


def integer_sql(expression: str, sql_type: str = "bigint", held: str = TEXT) -> str:
    """An integer from text, NULL unless the text is a whole number that fits `sql_type`.

    A plain cast rounds: `443.5` would become port 444 and a count of `1.5` would be 2.
    `443.0` (a float column's rendering of a whole number) is accepted as 443. A typed
    integer is whole already: only whether it fits is left to check.
    """
    if held in INTEGER_TYPES:
        return f"try_cast({expression} as {sql_type})"
    return (
        f"case when regexp_full_match({expression}, '{_WHOLE_NUMBER}') "
        f"then try_cast({expression} as {sql_type}) end"
    )


def port_sql(expression: str, held: str = TEXT) -> str:
    """A port number from text, NULL unless it is a whole number in 0..65535."""
    port = integer_sql(expression, "integer", held)
    return f"case when {port} between 0 and 65535 then {port} end"


def json_lines_sql(path: str | Path, fields: tuple[str, ...]) -> str:
    """One row per non-empty line of a JSON-lines file with the named fields as text.

    `valid_json` is false for a line that is not a JSON object; its fields are then NULL.
    """
    shape = "{" + ", ".join(f'"{name}": "VARCHAR"' for name in fields) + "}"
    unpacked = ", ".join(f"fields.{name} as {name}" for name in fields)
    return f"""
        select line_number, line, valid_json, {unpacked}
        from (
            select line_number, line,
                json_type(case when json_valid(line) then line else 'null' end) = 'OBJECT'
                    as valid_json,
                json_transform(case when valid_json then line else '{{}}' end, '{shape}') as fields
            from ({lines_sql(path)})
            where line is not null
        )
    """


def delimited_sql(path: str | Path, delimiter: str = ",") -> str:
    """Lines of a delimited text file with its fields, trimmed and unquoted, as list `f`."""
    return f"""
        select line_number, line,
            list_transform(string_split(line, {sql_string(delimiter)}),
                           lambda v: trim(trim(v), '"')) as f
        from ({lines_sql(path)})
        where line is not null
    """


def epoch_or_timestamp_sql(expression: str, timezone: str) -> str:
    """UTC timestamp from epoch seconds (fractional allowed) or local timestamp text.

    Epoch 0 is what collectors print for an absent time, so it yields NULL.
    """
    epoch = f"try_cast({expression} as double)"
    local = timestamp_sql(expression, timezone)
    return (
        f"case when {epoch} is not null then "
        f"case when {epoch} > 0 then timezone('UTC', to_timestamp({epoch})) end "
        f"else {local} end"
    )


def header_index(header: list[str], names: tuple[str, ...], path: Path) -> dict[str, int]:
    """1-based positions of the wanted columns in a CSV header (case-insensitive)."""
    positions = {name.strip().strip('"').lower(): index + 1 for index, name in enumerate(header)}
    missing = [name for name in names if name.lower() not in positions]
    if missing:
        raise ValueError(f"{path}: header lacks column(s) {', '.join(missing)}")
    return {name: positions[name.lower()] for name in names}


def first_line(con: duckdb.DuckDBPyConnection, path: str | Path) -> str | None:
    """The first non-empty line of a text file (a CSV header), None for an empty file."""
    row = con.execute(
        f"select line from ({lines_sql(path)}) where line is not null order by line_number limit 1"
    ).fetchone()
    return None if row is None else str(row[0])


def parquet_column_types(con: duckdb.DuckDBPyConnection, path: str | Path) -> dict[str, str]:
    """DuckDB's type of each column of a Parquet file, by lower-case name."""
    described = con.execute(f"describe select * from read_parquet({literal_path_sql(path)})")
    return {str(name).lower(): str(sql_type) for name, sql_type, *_ in described.fetchall()}


def parquet_rows(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """How many rows a Parquet file holds, from its footer."""
    (rows,) = con.execute(
        f"select coalesce(sum(num_rows), 0) from parquet_file_metadata({literal_path_sql(path)})"
    ).fetchone()
    return int(rows)


def parquet_records(
    path: str | Path, declared: Mapping[str, str], file_types: Mapping[str, str]
) -> FileRecords:
    """Rows of a Parquet file with the `declared` columns (name: raw type), numbered from 1:
    each column as the file holds it (`file_types`) when that is of its declared type's
    kind, else as text. `line` is NULL: the record's text is made for rejected rows only
    (`parquet_record_sql`), since making text of every value is most of reading text."""
    kept = {
        name: file_types[name]
        for name, sql_type in declared.items()
        if file_types.get(name) in _KEPT_TYPES[sql_type.split()[0].lower()]
    }
    columns = ", ".join(name if name in kept else f"{name}::varchar as {name}" for name in declared)
    sql = f"""
        select file_row_number + 1 as line_number, null::varchar as line, {columns}
        from read_parquet({literal_path_sql(path)}, file_row_number = true)
    """
    return FileRecords(sql, kept)


def parquet_record_sql(path: str | Path, columns: tuple[str, ...], rows: str) -> str:
    """The rows of a Parquet file whose number (from 1) `rows` selects (SQL returning
    numbers), as `line_number` and `line`, the named columns as a JSON object: what the
    quarantine keeps of a rejected row."""
    record = ", ".join(f"'{name}', {name}" for name in columns)
    return f"""
        select file_row_number + 1 as line_number, json_object({record})::varchar as line
        from read_parquet({literal_path_sql(path)}, file_row_number = true)
        where file_row_number + 1 in ({rows})
    """


def headed_csv_sql(con: duckdb.DuckDBPyConnection, path: Path, columns: tuple[str, ...]) -> str:
    """Records of a CSV file with a header: the named columns as text (found by header
    name), `line_number`, `line`, and `field_problem` for a line whose field count differs
    from the header's."""
    header = first_line(con, path)
    if header is None:
        raise ValueError(f"{path}: empty file, expected a header with {', '.join(columns)}")
    names = [name.strip().strip('"') for name in header.split(",")]
    positions = header_index(names, columns, path)
    selected = ", ".join(f"f[{positions[name]}] as {name}" for name in columns)
    return f"""
        select line_number, line, len(f) <> {len(names)} as field_problem, {selected}
        from ({delimited_sql(path)})
        where line <> {sql_string(header)}
    """
