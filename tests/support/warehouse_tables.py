"""Two DuckDB warehouses compared table by table: the parity of the dbt engines."""

import duckdb
import numpy as np
import pandas as pd

RELATIVE_TOLERANCE = 1e-9


def main_tables(path: str) -> set[str]:
    with duckdb.connect(path, read_only=True) as con:
        rows = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main'"
        ).fetchall()
    return {row[0] for row in rows}


def table_rows(path: str, table: str) -> pd.DataFrame:
    with duckdb.connect(path, read_only=True) as con:
        return con.execute(f"select * from main.{table} order by all").df()


def column_differences(name: str, left: pd.Series, right: pd.Series) -> list[str]:
    """Floats within RELATIVE_TOLERANCE, everything else (integers, text, times) exact."""
    if left.dtype.kind == "f" or right.dtype.kind == "f":
        a, b = left.astype(float).to_numpy(), right.astype(float).to_numpy()
        unequal = ~np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=0.0, equal_nan=True)
    else:
        a = left.astype(object).where(left.notna(), None).to_numpy()
        b = right.astype(object).where(right.notna(), None).to_numpy()
        unequal = np.array([x != y for x, y in zip(a, b, strict=True)], dtype=bool)
    if not unequal.any():
        return []
    return [f"{name}: {unequal.sum()} value(s) differ, e.g. {a[unequal][:3]} vs {b[unequal][:3]}"]


def table_differences(left_path: str, right_path: str, table: str) -> list[str]:
    """What differs between the table's rows (sorted by every column) in two warehouses."""
    left, right = table_rows(left_path, table), table_rows(right_path, table)
    if list(left.columns) != list(right.columns):
        return [f"{table}: columns {list(left.columns)} vs {list(right.columns)}"]
    if len(left) != len(right):
        return [f"{table}: {len(left)} vs {len(right)} rows"]
    return [
        f"{table}.{difference}"
        for column in left.columns
        for difference in column_differences(column, left[column], right[column])
    ]
