"""Great Expectations suites (expectations/*.json) run on pandas DataFrames."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dagster_project.settings import EXPECTATIONS_DIR


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: list[Any]
    catches: str


@dataclass(frozen=True)
class ValidationOutcome:
    suite: str
    success: bool
    evaluated: int
    failed: list[FailedExpectation] = field(default_factory=list)

    def as_markdown(self) -> str:
        if not self.failed:
            return f"All {self.evaluated} expectations of `{self.suite}` passed."
        rows = [
            f"| {f.expectation} | {f.column or ''} | {f.unexpected_count} | "
            f"{', '.join(map(str, f.examples[:5]))} | {f.catches} |"
            for f in self.failed
        ]
        header = "| expectation | column | unexpected | examples | catches |\n|---|---|---|---|---|"
        return "\n".join([header, *rows])


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite_definition(name: str) -> dict[str, Any]:
    with suite_path(name).open() as handle:
        return json.load(handle)


def validate_frame(frame: pd.DataFrame, suite_name: str) -> ValidationOutcome:
    """Run the named suite on a DataFrame with an ephemeral GX context."""
    import great_expectations as gx  # slow import, only when validating

    definition = load_suite_definition(suite_name)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    suite = gx.ExpectationSuite(name=definition["name"], expectations=definition["expectations"])
    batch_definition = (
        context.data_sources.add_pandas("frames")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite)
    failed = [
        FailedExpectation(
            expectation=item.expectation_config.type,
            column=item.expectation_config.kwargs.get("column"),
            unexpected_count=item.result.get("unexpected_count"),
            examples=list(item.result.get("partial_unexpected_list") or [])[:5]
            or [item.result.get("observed_value")],
            catches=(item.expectation_config.meta or {}).get("catches", ""),
        )
        for item in result.results
        if not item.success
    ]
    return ValidationOutcome(
        suite=suite_name, success=result.success, evaluated=len(result.results), failed=failed
    )
