"""Great Expectations suites (expectations/*.json) run on pandas DataFrames.

GX's SQL path does not run on DuckDB, so every suite validates a DataFrame: a bounded slice
of a table, or a small profile DuckDB computed over the whole table (see
`validation_frames`). Results are summarised for the Dagster UI and rendered as GX Data Docs
pages under `data/gx_docs/`.
"""

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dagster_project.settings import EXPECTATIONS_DIR, data_dir

EXAMPLES_SHOWN = 5


@dataclass(frozen=True)
class ValidationBatch:
    """A frame to validate, what it stands for, and the suite parameters ($PARAMETER)."""

    frame: pd.DataFrame
    scope: str
    parameters: dict[str, Any] = field(default_factory=dict)


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
    # The GX ExpectationSuiteValidationResult, kept for rendering Data Docs.
    gx_result: Any = field(default=None, repr=False, compare=False)

    @property
    def failed_expectations(self) -> list[str]:
        return [f.expectation for f in self.failed]

    def as_markdown(self) -> str:
        if not self.failed:
            return f"All {self.evaluated} expectations of `{self.suite}` passed."
        rows = [
            f"| {f.expectation} | {f.column or ''} | {f.unexpected_count} | "
            f"{_markdown_cell(f.examples)} | {f.catches} |"
            for f in self.failed
        ]
        header = "| expectation | column | unexpected | examples | catches |\n|---|---|---|---|---|"
        summary = f"{len(self.failed)} of {self.evaluated} expectations of `{self.suite}` failed."
        return "\n".join([summary, "", header, *rows])


def _markdown_cell(examples: list[Any]) -> str:
    return "; ".join(str(example) for example in examples).replace("|", "/")


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite_definition(name: str) -> dict[str, Any]:
    with suite_path(name).open() as handle:
        return json.load(handle)


def _plain(value: Any) -> Any:
    """numpy/pandas scalars and arrays as plain Python values, for metadata and Markdown."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _examples(result: dict[str, Any]) -> list[Any]:
    """A few offending values; with the suite's row id columns when GX reports them."""
    # Without row id columns GX lists bare row numbers as the index: show values instead.
    rows = result.get("partial_unexpected_index_list") or []
    if rows and all(isinstance(row, dict) for row in rows):
        return [_plain(row) for row in rows[:EXAMPLES_SHOWN]]
    values = result.get("partial_unexpected_list") or []
    if values:
        return [_plain(value) for value in values[:EXAMPLES_SHOWN]]
    if "observed_value" in result:
        return [_plain(result["observed_value"])]
    return []


def _result_format(definition: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    id_columns = [c for c in definition.get("meta", {}).get("row_id", []) if c in frame.columns]
    result_format: dict[str, Any] = {"result_format": "SUMMARY"}
    if id_columns:
        result_format["unexpected_index_column_names"] = id_columns
    return result_format


def validate_frame(
    frame: pd.DataFrame, suite_name: str, parameters: dict[str, Any] | None = None
) -> ValidationOutcome:
    """Run the named suite on a DataFrame with an ephemeral GX context."""
    import great_expectations as gx  # slow import, only when validating

    definition = load_suite_definition(suite_name)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    suite = gx.ExpectationSuite(
        name=definition["name"],
        expectations=definition["expectations"],
        meta=definition.get("meta"),
    )
    batch_definition = (
        context.data_sources.add_pandas("frames")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole")
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite,
        expectation_parameters=parameters or {},
        result_format=_result_format(definition, frame),
    )
    failed = [
        FailedExpectation(
            expectation=item.expectation_config.type,
            column=item.expectation_config.kwargs.get("column")
            or _column_pair(item.expectation_config.kwargs),
            unexpected_count=item.result.get("unexpected_count"),
            examples=_examples(item.result) or [item.exception_info.get("exception_message", "")],
            catches=(item.expectation_config.meta or {}).get("catches", ""),
        )
        for item in result.results
        if not item.success
    ]
    return ValidationOutcome(
        suite=suite_name,
        success=result.success,
        evaluated=len(result.results),
        failed=failed,
        gx_result=result,
    )


def validate_batch(batch: ValidationBatch, suite_name: str) -> ValidationOutcome:
    return validate_frame(batch.frame, suite_name, batch.parameters)


def _column_pair(kwargs: dict[str, Any]) -> str | None:
    if "column_A" in kwargs:
        return f"{kwargs['column_A']} vs {kwargs['column_B']}"
    return None


def data_docs_dir() -> Path:
    return data_dir() / "gx_docs"


def write_data_docs(outcome: ValidationOutcome, check_name: str, partition: str) -> Path:
    """Render one validation result as a GX Data Docs page and refresh the index page.

    One page per check and partition (`all` for unpartitioned assets); a new run replaces it.
    """
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    document = ValidationResultsPageRenderer().render(outcome.gx_result)
    page = data_docs_dir() / check_name / f"{partition}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(DefaultJinjaPageView().render(document))
    _write_index(data_docs_dir())
    return page


def _write_index(root: Path) -> None:
    """A plain page linking every rendered validation, newest first per suite."""
    items = []
    for suite_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        pages = sorted(suite_dir.glob("*.html"), reverse=True)
        links = " ".join(
            f'<a href="{html.escape(suite_dir.name)}/{html.escape(p.name)}">{p.stem}</a>'
            for p in pages
        )
        items.append(f"<li><b>{html.escape(suite_dir.name)}</b>: {links}</li>")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    (root / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<title>trafficreport validation results</title></head><body>"
        "<h1>trafficreport validation results</h1>"
        "<p>One page per asset check and partition, from the Great Expectations suites in "
        f"<code>expectations/</code>; index updated {stamp}.</p>"
        f"<ul>{''.join(items)}</ul></body></html>"
    )
