"""Reading marts out of the warehouse for checks, figures and the report."""

from datetime import date

import pandas as pd

from dagster_project.resources import WarehouseResource


def read_week(warehouse: WarehouseResource, table: str, week_start: date) -> pd.DataFrame:
    """All rows of a weekly mart for one week, read without taking the writer lock."""
    with warehouse.connect(read_only=True) as con:
        return con.execute(
            f"select * from main.{table} where week_start = ? order by all", [week_start]
        ).df()
