"""Jobs: one analysis week end to end, and the cross-week assets."""

import dagster as dg

from dagster_project.defs.partitions import weekly_partitions

weekly_assets = dg.AssetSelection.tag("partitioned", "weekly")

weekly_report_job = dg.define_asset_job(
    name="weekly_report",
    selection=weekly_assets,
    partitions_def=weekly_partitions,
    description="Raw inputs, dbt models, checks, figures and the report page of one analysis week.",
)

cross_week_job = dg.define_asset_job(
    name="cross_week_report",
    selection=dg.AssetSelection.tag("partitioned", "none"),
    description="Assets over all weeks: monthly totals, five-year tables and figures.",
)
