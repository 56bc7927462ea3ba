"""A report page: one self-contained HTML file with numbered sections of written findings,
each followed by the figures and tables it discusses, and appendices on how the synthetic
data compares with the published report and what the page was computed from.

Images are inlined as base64 data URIs and the style sheet is embedded, so the file opens
offline; its only links are to its own sections. Nothing time-dependent is written, so the
same inputs give the same bytes. The markup is in the Jinja2 templates (report/templates/);
this module gathers what they show.
"""

import base64
from collections import Counter
from dataclasses import dataclass, field
from string import ascii_uppercase
from typing import NamedTuple

from markupsafe import Markup

from dagster_project.report.catalogue import ReportItem
from dagster_project.report.outline import Section
from dagster_project.report.templates import render
from dagster_project.validation.verdicts import OUTCOMES, PASSED, Verdict


@dataclass(frozen=True)
class InputProvenance:
    """Where one raw input of one week came from, as the load recorded it."""

    asset: str
    week: str
    details: dict[str, str]


@dataclass(frozen=True)
class Provenance:
    """What the report was computed from."""

    time_zone: str
    sampling_intervals: dict[str, str]  # week -> distinct 1:N intervals of its flows
    inputs: tuple[InputProvenance, ...]
    checks: tuple[Verdict, ...]
    # (week, raw input, reason, records) of the records the loads rejected
    rejected: tuple[tuple[str, str, str, int], ...] = ()

    @property
    def sources(self) -> set[str]:
        return {entry.details.get("source", "unknown") for entry in self.inputs}

    @property
    def synthetic(self) -> bool:
        return "synthetic" in self.sources

    @property
    def real(self) -> bool:
        """Every input came from the configured collector and subscriber files."""
        return self.sources == {"real"}

    @property
    def named_sources(self) -> tuple[str, ...]:
        """The configured sources the real inputs were loaded from, as each load named them."""
        named = {entry.details.get("sources") for entry in self.inputs}
        return tuple(sorted(named - {None}))

    @property
    def sampling_summary(self) -> str:
        """The sampling interval(s) of each week, 'none' when no flow was loaded."""
        intervals = sorted(self.sampling_intervals.items())
        return ", ".join(f"{week}: {interval}" for week, interval in intervals) or "none"

    @property
    def data_kind(self) -> str:
        return "synthetic" if self.synthetic else "real" if self.real else "unknown"


@dataclass(frozen=True)
class ReportContent:
    week: str
    title: str
    subtitle: str
    figures: tuple[tuple[ReportItem, bytes], ...]
    tables: tuple[tuple[ReportItem, str], ...]  # each table as its HTML fragment
    provenance: Provenance
    # The numbered sections; every figure and table is placed in exactly one of them.
    sections: tuple[Section, ...] = ()
    calibration_html: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


class InputRow(NamedTuple):
    """One row of the raw inputs table: the inputs and weeks that share one provenance."""

    assets: tuple[str, ...]
    weeks: tuple[str, ...]
    details: str


def _grouped_inputs(inputs: tuple[InputProvenance, ...]) -> list[InputRow]:
    """Raw inputs per provenance and weeks: the inputs of one load (flows, assignments and
    counters share the sources' description) and identical loads of many weeks take one row."""
    weeks_by_load: dict[tuple[str, str], list[str]] = {}
    for entry in inputs:
        details = "; ".join(f"{key}: {value}" for key, value in sorted(entry.details.items()))
        weeks_by_load.setdefault((entry.asset, details), []).append(entry.week)
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (asset, details), weeks in weeks_by_load.items():
        grouped.setdefault((details, tuple(weeks)), []).append(asset)
    return [InputRow(tuple(assets), weeks, details) for (details, weeks), assets in grouped.items()]


def _check_counts(checks: tuple[Verdict, ...]) -> dict[str, dict[str, int]]:
    """Per mart: weeks checked, checks per week and how many results had each outcome."""
    counts: dict[str, dict[str, int]] = {}
    weeks: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for check in checks:
        entry = counts.setdefault(check.asset, dict.fromkeys(OUTCOMES, 0))
        entry[check.status] += 1
        weeks.setdefault(check.asset, set()).add(check.week)
        names.setdefault(check.asset, set()).add(check.check)
    for mart, entry in counts.items():
        entry["weeks"] = len(weeks[mart])
        entry["checks"] = len(names[mart])
    return dict(sorted(counts.items()))


def provenance_facts(provenance: Provenance) -> dict[str, str]:
    """Provenance in a few flat entries, for asset metadata."""
    passed = sum(check.status == "passed" for check in provenance.checks)
    return {
        "data": provenance.data_kind,
        "sources": "; ".join(provenance.named_sources) or ", ".join(sorted(provenance.sources)),
        "sampling": provenance.sampling_summary,
        "time_zone": provenance.time_zone,
        "validation": f"{passed} of {len(provenance.checks)} passed",
    }


def report_summary(content: ReportContent) -> str:
    """A few lines on what the page holds and what it was computed from (asset metadata)."""
    facts = provenance_facts(content.provenance)
    return "\n".join(
        [
            f"Report for the week of {content.week}: {len(content.figures)} figures, "
            f"{len(content.tables)} tables.",
            "",
            f"Data: {facts['data']}. Sources: {facts['sources']}; validations: "
            f"{facts['validation']}.",
            *(f"\n{note}" for note in content.notes),
        ]
    )


def _png_data_uri(png: bytes) -> Markup:
    # Base64 has no character HTML would need escaped; Markup keeps the template from trying.
    return Markup(f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}")


def validation_headline(checks: tuple[Verdict, ...]) -> list[str]:
    """A line at the top of the page when any validation did not pass: the reader sees the
    doubt before the numbers."""
    not_passed = Counter(check.status for check in checks if check.status != PASSED)
    if not not_passed:
        return []
    kinds = ", ".join(f"{count} {status}" for status, count in sorted(not_passed.items()))
    total = sum(not_passed.values())
    return [
        f"{total} of {len(checks)} validations of the inputs did not pass ({kinds}): "
        "see Validation in the Provenance appendix."
    ]


# The appendices' anchors and headings, in page order; calibration only for synthetic data.
APPENDICES = {"calibration": "Calibration of the synthetic data", "provenance": "Provenance"}


class Shown(NamedTuple):
    """A figure or table as the page shows it: its entry and its image or HTML."""

    kind: str
    entry: ReportItem
    markup: Markup


def _shown_items(content: ReportContent) -> dict[str, Shown]:
    """Every figure and table by name; fails unless each is placed in exactly one section."""
    shown = {
        **{
            entry.name: Shown("figure", entry, _png_data_uri(png)) for entry, png in content.figures
        },
        # The tables are HTML the report's own code rendered, every value escaped already.
        **{entry.name: Shown("table", entry, Markup(html)) for entry, html in content.tables},
    }
    placed = [name for section in content.sections for name in section.items]
    if sorted(placed) != sorted(shown):
        raise ValueError(
            f"every figure and table must be placed once: shown {sorted(shown)}, "
            f"placed {sorted(placed)}"
        )
    return shown


def contents(content: ReportContent) -> list[tuple[str, str]]:
    """(anchor, heading) of the page's numbered sections, then of its lettered appendices."""
    numbered = [
        (section.anchor, f"{number} {section.heading}")
        for number, section in enumerate(content.sections, 1)
    ]
    appendices = [
        anchor
        for anchor in APPENDICES
        if anchor != "calibration" or content.calibration_html is not None
    ]
    lettered = [
        (anchor, f"Appendix {letter}: {APPENDICES[anchor]}")
        for letter, anchor in zip(ascii_uppercase, appendices, strict=False)
    ]
    return numbered + lettered


def render_report(content: ReportContent) -> str:
    """The whole report page as one HTML string."""
    headings = dict(contents(content))
    page = render(
        "report.html.j2",
        title=content.title,
        subtitle=content.subtitle,
        notes=[*validation_headline(content.provenance.checks), *content.notes],
        headings=headings,
        sections=content.sections,
        items=_shown_items(content),
        # The calibration section is HTML the report's own code rendered, escaped already.
        calibration=(
            Markup(content.calibration_html) if content.calibration_html is not None else None
        ),
        provenance=content.provenance,
        inputs=_grouped_inputs(content.provenance.inputs),
        check_counts=_check_counts(content.provenance.checks),
        outcomes=OUTCOMES,
    )
    # Jinja drops the template's final newline; the page is a text file and ends with one.
    return page + "\n"
