"""Which weeks each cross-week figure and table compares, the gate on their validation, and
the asset that renders one of them."""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project.defs import check_history
from dagster_project.defs.dbt_project import weekly_models
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.report.catalogue import ReportItem
from dagster_project.report.pages import InputProvenance
from dagster_project.validation import verdicts
from dagster_project.validation.verdicts import Verdict
from dagster_project.weeks.reference_weeks import COMPARISON_WEEKS, PRE_PANDEMIC_WEEK

THIS_YEAR = max(COMPARISON_WEEKS)
YEAR_ON_YEAR_WEEKS = (COMPARISON_WEEKS[THIS_YEAR - 1], COMPARISON_WEEKS[THIS_YEAR])
FIVE_YEAR_WEEKS = tuple(sorted(COMPARISON_WEEKS.values()))
# Figures 9 and 10: a week just before the pandemic, then each year's comparison week since.
PANDEMIC_ERA_WEEKS = (
    PRE_PANDEMIC_WEEK,
    *(week for week in FIVE_YEAR_WEEKS if week > PRE_PANDEMIC_WEEK),
)
CROSS_WEEK_TAGS = {"partitioned": "none"}


@dataclass(frozen=True)
class ReportInputs:
    """What a figure or table is computed from: weeks, monthly totals, upstream weekly marts.

    `upstream` names the weekly marts a cross-week mart is built from; their checks for
    `weeks` must have passed too.
    """

    weeks: tuple[date, ...] = ()
    monthly: bool = False
    upstream: tuple[str, ...] = ()

    def provenance(self, instance: dg.DagsterInstance) -> tuple[InputProvenance, ...]:
        return check_history.inputs_provenance(instance, self.weeks, self.monthly)

    def validated_assets(self, marts: tuple[str, ...]) -> tuple[str, ...]:
        """The marts, their upstream weekly marts and the raw inputs behind them."""
        raw = (*check_history.WEEKLY_RAW_INPUTS, *(["raw_monthly_totals"] if self.monthly else []))
        return (*marts, *self.upstream, *raw)

    def check_statuses(self, marts: tuple[str, ...]) -> tuple[Verdict, ...]:
        """Every check of the code location on these inputs, not only the running job's."""
        return check_history.check_statuses(self.validated_assets(marts), self.weeks)

    def deps(self, marts: tuple[str, ...]) -> list[dg.AssetDep]:
        """The marts read, each weekly one restricted to the weeks read: the asset graph says
        which weeks a figure or table compares."""
        weeks = dg.SpecificPartitionsPartitionMapping([week.isoformat() for week in self.weeks])
        return [
            dg.AssetDep(mart, partition_mapping=weeks if mart in weekly_models() else None)
            for mart in (*marts, *self.upstream)
        ]

    def validated(self, marts: tuple[str, ...]) -> tuple[Verdict, ...]:
        """Fail unless every check on the inputs passed for these weeks; their results."""
        statuses = self.check_statuses(marts)
        verdicts.require_drawable(statuses)
        return statuses

    def validated_note(self, context: dg.AssetExecutionContext, marts: tuple[str, ...]) -> str:
        """Fail unless every check on the inputs passed for these weeks; the data footnote."""
        self.validated(marts)
        return check_history.data_note(self.provenance(context.instance))


def markdown_image(png: bytes, name: str) -> str:
    preview = base64.b64encode(png).decode("ascii")
    return f"![{name}](data:image/png;base64,{preview})"


def output_metadata(path: Path, preview_markdown: str) -> dict[str, Any]:
    """Metadata every report output carries: its file and a preview the UI renders."""
    return {
        "path": dg.MetadataValue.path(str(path)),
        "preview": dg.MetadataValue.md(preview_markdown),
    }


# Render(warehouse, note) -> the output's metadata; `note` is the data footnote of the inputs.
Render = Callable[[WarehouseResource, str], dict[str, Any]]


def cross_week_output(
    entry: ReportItem, inputs: ReportInputs, group_name: str, kind: str, render: Render
) -> dg.AssetsDefinition:
    """A figure or table asset: rendered from validated marts of the weeks it compares."""

    @dg.asset(
        name=entry.name,
        group_name=group_name,
        deps=inputs.deps(entry.marts),
        kinds={kind},
        tags=CROSS_WEEK_TAGS,
        pool=WAREHOUSE_POOL,
        description=f"{entry.title}. {entry.caption}",
    )
    def _output(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        note = inputs.validated_note(context, entry.marts)
        return dg.MaterializeResult(metadata=render(warehouse, note))

    return _output
