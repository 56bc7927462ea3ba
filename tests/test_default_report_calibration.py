"""The whole default report on the built-in synthetic data lands on the published figures.

Materializes every default week and the cross-week assets exactly as `scripts/report.sh`
does, then reads the calibration asset's table: every statistic of Tables 1-4, the top-user
shares and the growth figures must be within SPEC tolerance of the published value. This is
the one test that runs the full report, so it is marked `calibration` (deselect with
`-m "not calibration"` for a quick local run).
"""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.calibration


def test_default_report_meets_the_published_figures(run_env: dict[str, str]):
    completed = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "report"],
        cwd=PROJECT_ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        check=False,
    )
    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"report failed:\n{log[-6000:]}"
    table = pd.read_csv(Path(run_env["TRAFFICREPORT_OUTPUT_DIR"]) / "tables" / "calibration.csv")
    failures = table[~table["passed"]]
    assert failures.empty, f"outside tolerance:\n{failures.to_string()}"
    tables = table[table["item"].isin(["Table 1", "Table 2"])]
    assert set(tables["year"]) == {2019, 2020, 2021, 2022, 2023, 2024}
    assert table["computed"].notna().all()
