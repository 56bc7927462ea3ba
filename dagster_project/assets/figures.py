"""Report figures: PNG files in the output folder, previewed in the Dagster UI."""

import base64
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project import settings
from dagster_project.figures import port_share_figure
from dagster_project.marts import read_week
from dagster_project.partitions import weekly_partitions
from dagster_project.resources import WarehouseResource


def write_figure(png: bytes, name: str) -> Path:
    path = settings.output_dir() / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def figure_metadata(png: bytes, path: Path) -> dict[str, Any]:
    preview = base64.b64encode(png).decode("ascii")
    return {
        "path": dg.MetadataValue.path(str(path)),
        "preview": dg.MetadataValue.md(f"![{path.stem}](data:image/png;base64,{preview})"),
    }


@dg.asset(
    group_name="figures",
    deps=["port_usage"],
    partitions_def=weekly_partitions,
    kinds={"matplotlib"},
    tags={"partitioned": "weekly"},
    description="Share of the week's bytes by protocol and port (the Tables 3 and 4 view).",
)
def port_share_chart(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    week_start = date.fromisoformat(context.partition_key)
    port_usage = read_week(warehouse, "port_usage", week_start)
    broadband = port_usage[port_usage["service"] == "broadband"]
    png = port_share_figure(
        broadband,
        title=f"Broadband usage by port, week of {week_start}",
        footnote="Computed from sampled flow records (PPPoE).",
    )
    path = write_figure(png, f"port_shares_{week_start}")
    return dg.MaterializeResult(metadata=figure_metadata(png, path))
