"""SQL literals for DuckDB: strings, and paths its read_* functions take literally."""

import re
from pathlib import Path

# DuckDB expands these in every path it is given, even one that names an existing file.
_GLOB_CHARACTER = re.compile(r"([\[\]*?])")


def sql_string(value: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def glob_escaped(path: str | Path) -> str:
    """The path as a glob that matches only itself: a glob character inside a bracket
    expression (`[[]`, `[*]`) stands for itself."""
    return _GLOB_CHARACTER.sub(r"[\1]", str(path))


def literal_path_sql(path: str | Path) -> str:
    """A path for DuckDB's read_* functions that names exactly that one file.

    The files were found by expanding the source's glob once (`files_for_week`); DuckDB
    would expand `flows[1].csv` again and read `flows1.csv`.
    """
    return sql_string(glob_escaped(path))
