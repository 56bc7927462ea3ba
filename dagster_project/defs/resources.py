"""Resources: the DuckDB warehouse, the raw-input sources and the dbt CLI."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from dagster_project import settings
from dagster_project.defs.dbt_project import dbt_project
from dagster_project.sources.source_config import (
    SourcesConfig,
    load_sources_config,
    sources_config_path,
)
from dagster_project.warehouse.connection import connect

# Concurrency pool of every step that opens the warehouse. dagster.yaml limits each pool to
# one run at a time (granularity "run"), because DuckDB allows one writing process and a
# writer locks out readers of other processes.
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file shared by the raw assets, dbt and the readers of the marts.

    Not dagster_duckdb's DuckDBResource: that one opens every connection read-write, so the
    checks, figures and pages that only read would take the writer lock, and it does not
    close a connection whose block raised.
    """

    path: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(Path(self.path), read_only=read_only) as con:
            yield con


class SourcesResource(dg.ConfigurableResource):
    """The sources configuration (sources.yaml) that says where raw inputs come from."""

    config_path: str

    def read(self) -> SourcesConfig:
        """The checked configuration; SourceConfigError names every problem of the file."""
        return load_sources_config(Path(self.config_path))


def build_resources() -> dict[str, Any]:
    return {
        "warehouse": WarehouseResource(path=str(settings.warehouse_path())),
        "sources": SourcesResource(config_path=str(sources_config_path())),
        "dbt": DbtCliResource(project_dir=dbt_project()),
    }
