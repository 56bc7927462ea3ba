"""How close the pipeline's results are to the published report (calibration of the data)."""

import dagster as dg

from dagster_project import settings
from dagster_project.defs.resources import WAREHOUSE_POOL, SourcesResource, WarehouseResource
from dagster_project.reference import load_published
from dagster_project.report.calibration import (
    compare,
    expected_values,
    read_computed,
    summary_markdown,
)
from dagster_project.sources.week_load import source_label
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS

CALIBRATION_MARTS = (
    "usage_summary_by_year",
    "top_user_shares",
    "port_usage_by_year",
    "monthly_traffic",
    "traffic_growth",
    "mode_growth",
)


@dg.asset(
    # It checks the computed numbers against the published ones: part of validation.
    group_name="validation",
    pool=WAREHOUSE_POOL,
    deps=list(CALIBRATION_MARTS),
    kinds={"pandas", "csv"},
    tags={"partitioned": "none"},
    description="Every statistic of the published report next to the value the pipeline "
    "computed from the raw data, with deviation, tolerance and pass/fail "
    "(tables/calibration.csv).",
)
def calibration(warehouse: WarehouseResource, sources: SourcesResource) -> dg.MaterializeResult:
    expected = expected_values(load_published())
    with warehouse.connect(read_only=True) as con:
        computed = read_computed(con, COMPARISON_WEEKS)
    table = compare(expected, computed)
    path = settings.output_dir() / "tables" / "calibration.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.6g")
    failed = int((~table["passed"]).sum())
    return dg.MaterializeResult(
        metadata={
            "source": source_label(sources.read()),
            "statistics": len(table),
            "passed": len(table) - failed,
            "failed": failed,
            "path": dg.MetadataValue.path(str(path)),
            "comparison": dg.MetadataValue.md(summary_markdown(table)),
        }
    )
