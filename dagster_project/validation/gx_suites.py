"""Great Expectations suites (expectations/*.json) run on pandas DataFrames.

GX's SQL path does not run on DuckDB, so every suite validates a DataFrame: a bounded slice
of a table, or a small profile DuckDB computed over the whole table (see
`validation_frames`). Results are summarised for the Dagster UI, stored in a file-backed GX
project under `data/gx/`, and GX builds its Data Docs site from them into `data/gx_docs/`.
"""

import fcntl
import functools
import json
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import numpy as np
import pandas as pd

from dagster_project.processes.lasting_objects import made_to_last
from dagster_project.settings import EXPECTATIONS_DIR, data_dir

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import FileDataContext

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
    # The GX ExpectationSuiteValidationResult, which write_data_docs stores for Data Docs.
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
    """numpy/pandas scalars and arrays as plain Python values, for metadata and Markdown;
    dates and times (pandas Timestamps among them) as ISO text, which JSON metadata takes."""
    if isinstance(value, date):
        return value.isoformat()
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


def with_bulk_comparable_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its narrow numbers and timestamps widened to the types GX compares in bulk.

    GX 1.x compares a column with between-bounds through numpy only when it is int64, float64
    or datetime64[ns]; any other type goes through a Python function per row. DuckDB hands
    pandas int16, int32 and datetime64[us] columns, and a timestamp column of 100,000 rows then
    took 0.5 s instead of milliseconds. Widening is exact. A timestamp beyond datetime64[ns]'s
    range (years 1678-2261), which the week's bounds catch, keeps its column as it is.
    """
    widened = {}
    for name, column in frame.items():
        wide_type = _bulk_comparable_type(column.dtype)
        if wide_type is None:
            continue
        try:
            widened[name] = column.astype(wide_type)
        except pd.errors.OutOfBoundsDatetime:
            continue
    return frame.assign(**widened) if widened else frame


def _bulk_comparable_type(dtype: Any) -> str | None:
    """The wider numpy type GX compares in bulk, for a narrower number or timestamp type."""
    if not isinstance(dtype, np.dtype):
        return None
    if dtype.kind == "M" and dtype != np.dtype("datetime64[ns]"):
        return "datetime64[ns]"
    if dtype.itemsize < 8 and dtype.kind in "iu":
        return "int64"
    if dtype.itemsize < 8 and dtype.kind == "f":
        return "float64"
    return None


def validate_frame(
    frame: pd.DataFrame, suite_name: str, parameters: dict[str, Any] | None = None
) -> ValidationOutcome:
    """Run the named suite on a DataFrame, through the project's file-backed GX context.

    The suite comes from its JSON file, not from the context, so an edit to the file takes
    effect at once; `write_data_docs` copies it into the context for the Data Docs.
    """
    definition = load_suite_definition(suite_name)
    batch = _batch_definition(file_context(gx_root()), suite_name).get_batch(
        batch_parameters={"dataframe": with_bulk_comparable_dtypes(frame)}
    )
    result = batch.validate(
        _suite(definition),
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


def import_gx() -> None:
    """Import GX now (about 1.5 s) rather than in the first validation, e.g. while a frame is
    fetched in another thread; its objects last as long as the process."""
    if "great_expectations" in sys.modules:
        return
    with made_to_last():
        import great_expectations  # noqa: F401


def _suite(definition: dict[str, Any]) -> "ExpectationSuite":
    import great_expectations as gx  # slow import, only when validating

    return gx.ExpectationSuite(
        name=definition["name"],
        expectations=definition["expectations"],
        meta=definition.get("meta"),
    )


# GX's file-backed project: its config, the suites as last validated, the stored validation
# results. Its one Data Docs site is `data_docs_dir()`; each check run adds a page there.
DATASOURCE = "frames"
BATCH_DEFINITION = "whole"
DOCS_SITE = "trafficreport"
# The index lists the newest results only: GX reads and renders every listed result on each
# build (about 1.5 ms each). Older pages stay, linked from their Dagster check evaluations.
DOCS_INDEX_LIMIT = 100


def gx_root() -> Path:
    return data_dir() / "gx"


def data_docs_dir() -> Path:
    return data_dir() / "gx_docs"


def _docs_site_config() -> dict[str, Any]:
    """The local Data Docs site; its directory is given relative to the GX project
    (`data_dir()/gx`), so the data dir can move as a whole."""
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "site_section_builders": {
            "expectations": {"view": _docs_view("CompiledOncePageView")},
            "validations": {"view": _docs_view("CompiledOncePageView")},
            # Nothing here is a profiling run; skipping the section spares a scan of all results.
            "profiling": "None",
        },
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": f"../{data_docs_dir().name}/",
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": DOCS_INDEX_LIMIT,
            "view": _docs_view("CompiledOnceIndexPageView"),
        },
    }


def _docs_view(class_name: str) -> dict[str, str]:
    """A view of `docs_views`, which GX imports when it renders."""
    return {"module_name": "dagster_project.validation.docs_views", "class_name": class_name}


@contextmanager
def _gx_lock(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on the GX project while GX writes to it.

    Dagster runs the checks of one run in parallel processes, and GX writes its config,
    suites, results and site pages without locking; a half-written great_expectations.yml
    or index.html would break the next reader.
    """
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@functools.cache
def file_context(root: Path) -> "FileDataContext":
    """The file-backed GX context at `root`, created and configured once per process.

    Configuration is written only when it differs from what this project needs (a new data
    dir, a new suite file), so later processes just read it. Tests that change the data dir
    call `file_context.cache_clear()`.
    """
    import great_expectations as gx  # slow import, only when validating

    with _gx_lock(root):
        context = gx.get_context(mode="file", context_root_dir=root)
        context.variables.progress_bars = {"globally": False}
        if context.config.analytics_enabled is not False:
            context.enable_analytics(False)  # also saves the config
        if context.variables.data_docs_sites != {DOCS_SITE: _docs_site_config()}:
            # Replaces GX's default local_site under uncommitted/.
            context.variables.data_docs_sites = {DOCS_SITE: _docs_site_config()}
            context.variables.save()
        if DATASOURCE not in context.data_sources.all():
            context.data_sources.add_pandas(DATASOURCE)
        datasource = context.data_sources.get(DATASOURCE)
        # One DataFrame asset per suite file, made here while the lock is held.
        for suite_file in sorted(EXPECTATIONS_DIR.glob("*.json")):
            if suite_file.stem not in datasource.get_asset_names():
                asset = datasource.add_dataframe_asset(suite_file.stem)
                asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
    return context


def _batch_definition(context: "FileDataContext", suite_name: str) -> "BatchDefinition":
    asset = context.data_sources.get(DATASOURCE).get_asset(suite_name)
    return asset.get_batch_definition(BATCH_DEFINITION)


def write_data_docs(runs: Sequence[tuple[str, ValidationOutcome]]) -> list[Path]:
    """Store the validation results in the GX project and let GX render, in one build, their
    Data Docs pages, their suites' pages (a suite file may have changed) and the index (the
    newest DOCS_INDEX_LIMIT results); returns the pages, in order.

    Each run is named (`<check>_<partition>`, `all` for unpartitioned assets) and gets its own
    page, named by the run and its time. One build for all the checks of a step, not one per
    check: each build lists every result the project has stored, so its cost grows with the
    history. A result's meta gets the run id, as GX's own ValidationDefinition.run records it.
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    if not runs:
        return []
    root = gx_root()
    context = file_context(root)
    result_ids = []
    suite_ids = {name: ExpectationSuiteIdentifier(name=name) for name in _suites_of(runs)}
    with _gx_lock(root):
        for name in suite_ids:
            context.suites.add_or_update(_suite(load_suite_definition(name)))
        for run_name, outcome in runs:
            result = outcome.gx_result
            run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
            result.meta["run_id"] = run_id
            result.meta["validation_time"] = run_id.run_time
            result_id = ValidationResultIdentifier(
                expectation_suite_identifier=suite_ids[outcome.suite],
                run_id=run_id,
                batch_identifier=result.batch_id,
            )
            context.validation_results_store.store_validation_results(
                result, result_id, suite_ids[outcome.suite]
            )
            result_ids.append(result_id)
        context.build_data_docs(
            site_names=[DOCS_SITE], resource_identifiers=[*suite_ids.values(), *result_ids]
        )
        _copy_favicon_for_result_pages(data_docs_dir())
    return [_page(context, result_id) for result_id in result_ids]


def _suites_of(runs: Sequence[tuple[str, ValidationOutcome]]) -> list[str]:
    return list(dict.fromkeys(outcome.suite for _, outcome in runs))


def _page(context: "FileDataContext", resource_identifier: Any) -> Path:
    url = context.get_docs_sites_urls(resource_identifier=resource_identifier, site_name=DOCS_SITE)
    return Path(url2pathname(urlparse(url[0]["site_url"]).path)).resolve()


def _copy_favicon_for_result_pages(docs: Path) -> None:
    """Put the favicon where GX's result pages look for it.

    GX 1.24's favicon.j2 climbs one directory too few from a result page
    (validations/<suite>/<run>/<time>/<batch>.html; its navbar climbs the right four), so the
    link lands in validations/static/images/. Suite names here have no dots, which would add
    levels. The site store lists only .html files, so the copy is not taken for a result.
    """
    target = docs / "validations" / "static" / "images" / "favicon.ico"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(docs / "static" / "images" / "favicon.ico", target)
