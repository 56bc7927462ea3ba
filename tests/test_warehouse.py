"""Warehouse connections: bounded memory for every process that opens the raw_tables."""

from pathlib import Path

import duckdb
import pytest

from dagster_project.warehouse import connection


def test_connections_use_the_configured_memory_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TRAFFICREPORT_DUCKDB_MEMORY_LIMIT", "1GiB")
    with connection.connect(tmp_path / "warehouse.duckdb") as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "1.0 GiB"
    with connection.connect(tmp_path / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "1.0 GiB"


def test_a_malformed_memory_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TRAFFICREPORT_DUCKDB_MEMORY_LIMIT", "lots")
    with (
        pytest.raises(duckdb.Error, match="Memory must have a number"),
        connection.connect(tmp_path / "warehouse.duckdb"),
    ):
        pass


def test_the_default_memory_limit_is_a_quarter_of_the_machine(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TRAFFICREPORT_DUCKDB_MEMORY_LIMIT", raising=False)
    with duckdb.connect() as unbounded:
        duckdb_default = unbounded.execute("select current_setting('memory_limit')").fetchone()[0]
    with connection.connect(tmp_path / "warehouse.duckdb") as con:
        limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    # DuckDB's own default is 80% of the machine
    assert _gib(limit) == pytest.approx(
        _gib(duckdb_default) * 25 / 80, rel=0.03
    )  # shown to 0.1 GiB


def _gib(setting: str) -> float:
    number, unit = setting.split()
    return float(number) * {"GiB": 1.0, "MiB": 1 / 1024, "TiB": 1024.0}[unit]
