"""The weekly report: one self-contained HTML page with every figure, table and provenance.

Images are inlined as base64 data URIs and the style sheet is embedded, so the file opens
offline. Nothing time-dependent is written, so the same inputs give the same bytes.
"""

import base64
import html
from dataclasses import dataclass, field

from dagster_project.report.catalogue import ReportItem

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 60em; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; }
figure { margin: 2em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption, .caption { font-size: 0.9em; color: #444; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
td { text-align: left; vertical-align: top; }
.report-table td, .counts td { text-align: right; font-variant-numeric: tabular-nums; }
tbody th { text-align: left; font-weight: normal; }
.table-footer, .note { font-size: 0.85em; color: #555; }
.passed { color: #2b7a0b; } .failed { color: #b00020; font-weight: bold; }
.missing { color: #8a6d00; }
.synthetic { background: #fff4d6; border: 1px solid #e0c060; padding: 0.5em 1em; }
.real { background: #e8f4e8; border: 1px solid #8cc08c; padding: 0.5em 1em; }
"""


# "warned": a warning-severity check (drift) failed; it flags the data but does not block it.
CHECK_OUTCOMES = ("passed", "warned", "failed", "not run")


@dataclass(frozen=True)
class CheckStatus:
    """The latest result of one validation (GX suite or dbt test) of a report input."""

    asset: str
    check: str
    status: str  # one of CHECK_OUTCOMES
    week: str | None = None  # the week checked, for a weekly asset

    @property
    def label(self) -> str:
        return f"{self.asset} [{self.week}]" if self.week else self.asset


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
    checks: tuple[CheckStatus, ...]
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
    def data_kind(self) -> str:
        return "synthetic" if self.synthetic else "real" if self.real else "unknown"


@dataclass(frozen=True)
class ReportContent:
    week: str
    figures: tuple[tuple[ReportItem, bytes], ...]
    tables: tuple[tuple[ReportItem, str], ...]  # each table as its HTML fragment
    provenance: Provenance
    calibration_html: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _figure_html(entry: ReportItem, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="{entry.name}"><img alt="{html.escape(entry.title)}" '
        f'src="data:image/png;base64,{data}">'
        f"<figcaption><strong>{html.escape(entry.title)}.</strong> "
        f"{html.escape(entry.caption)} Source: {html.escape(', '.join(entry.marts))}."
        "</figcaption></figure>"
    )


def _table_html(entry: ReportItem, table_html: str) -> str:
    return (
        f'<section id="section-{entry.name}"><h3>{html.escape(entry.title)}</h3>'
        f'<p class="caption">{html.escape(entry.caption)} '
        f"Source: {html.escape(', '.join(entry.marts))}.</p>{table_html}</section>"
    )


def _status_html(status: str) -> str:
    css = {"passed": "passed", "warned": "missing", "failed": "failed"}.get(status, "missing")
    return f'<span class="{css}">{html.escape(status)}</span>'


def _grouped_inputs(
    inputs: tuple[InputProvenance, ...],
) -> dict[tuple[str, tuple[str, ...]], list[str]]:
    """Raw inputs per provenance and weeks: the inputs of one load (flows, assignments and
    counters share the sources' description) and identical loads of many weeks take one row."""
    weeks_by_load: dict[tuple[str, str], list[str]] = {}
    for entry in inputs:
        details = "; ".join(f"{key}: {value}" for key, value in sorted(entry.details.items()))
        weeks_by_load.setdefault((entry.asset, details), []).append(entry.week)
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (asset, details), weeks in weeks_by_load.items():
        grouped.setdefault((details, tuple(weeks)), []).append(asset)
    return grouped


def _check_counts(checks: tuple[CheckStatus, ...]) -> dict[str, dict[str, int]]:
    """Per mart: weeks checked, checks per week and how many results had each outcome."""
    counts: dict[str, dict[str, int]] = {}
    weeks: dict[str, set[str]] = {}
    names: dict[str, set[str]] = {}
    for check in checks:
        entry = counts.setdefault(check.asset, dict.fromkeys(CHECK_OUTCOMES, 0))
        entry[check.status] += 1
        weeks.setdefault(check.asset, set()).add(check.week or "all")
        names.setdefault(check.asset, set()).add(check.check)
    for mart, entry in counts.items():
        entry["weeks"] = len(weeks[mart])
        entry["checks"] = len(names[mart])
    return dict(sorted(counts.items()))


def _provenance_html(provenance: Provenance) -> str:
    inputs = "".join(
        f"<tr><th>{html.escape(', '.join(assets))}</th><td>{html.escape(', '.join(weeks))}</td>"
        f"<td>{html.escape(details)}</td></tr>"
        for (details, weeks), assets in _grouped_inputs(provenance.inputs).items()
    )
    sampling = ", ".join(
        f"{week}: {interval}" for week, interval in sorted(provenance.sampling_intervals.items())
    )
    return (
        '<section id="provenance"><h2>Provenance</h2>'
        f"<p>Analysis time zone: {html.escape(provenance.time_zone)}. "
        f"Packet sampling (1:N) of the flow records per week: {html.escape(sampling or 'none')}."
        f" Data sources: {html.escape(', '.join(sorted(provenance.sources)))}.</p>"
        "<h3>Raw inputs</h3><table><thead><tr><th>inputs</th><th>weeks</th><th>provenance</th>"
        f"</tr></thead><tbody>{inputs}</tbody></table>"
        f"{_rejected_html(provenance.rejected)}"
        f"{_validation_html(provenance.checks)}</section>"
    )


def _rejected_html(rejected: tuple[tuple[str, str, str, int], ...]) -> str:
    """The records the loads rejected, counted per week, input and reason."""
    if not rejected:
        return "<h3>Rejected records</h3><p>The loads rejected no record.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(week)}</td><td>{html.escape(source)}</td>"
        f"<td>{html.escape(reason)}</td><td>{records:,}</td></tr>"
        for week, source, reason, records in rejected
    )
    total = sum(records for *_, records in rejected)
    return (
        f"<h3>Rejected records</h3><p>{total:,} input records were rejected while loading and "
        "kept in <code>raw.quarantine</code> with their file, line and reason; the figures and "
        'tables are computed without them.</p><table id="rejected_records"><thead><tr>'
        "<th>week</th><th>input</th>"
        f"<th>reason</th><th>records</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _validation_html(checks: tuple[CheckStatus, ...]) -> str:
    """A summary line, every result that is not a pass, and the outcomes counted per mart."""
    not_passed = [c for c in checks if c.status != "passed"]
    summary = (
        f"All {len(checks)} validations of the inputs and tables passed."
        if not not_passed
        else f"{len(not_passed)} of {len(checks)} validations did not pass."
    )
    problems = "".join(
        f"<li>{html.escape(c.label)} {html.escape(c.check)}: {_status_html(c.status)}</li>"
        for c in not_passed
    )
    header = "".join(
        f"<th>{label}</th>" for label in ("mart", "weeks", "checks per week", *CHECK_OUTCOMES)
    )
    rows = "".join(
        f"<tr><th>{html.escape(asset)}</th><td>{counts['weeks']}</td><td>{counts['checks']}</td>"
        + "".join(f"<td>{counts[outcome]}</td>" for outcome in CHECK_OUTCOMES)
        + "</tr>"
        for asset, counts in _check_counts(checks).items()
    )
    return (
        f"<h3>Validation</h3><p>{html.escape(summary)}</p>"
        f"{f'<ul>{problems}</ul>' if problems else ''}"
        f'<table class="counts"><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _data_banner(provenance: Provenance) -> str:
    """What kind of data the page was computed from, stated before any number."""
    if provenance.synthetic:
        return (
            '<p class="synthetic">Computed from the built-in <strong>synthetic</strong> data '
            "set, calibrated to the published report; no number here describes a real network."
            "</p>"
        )
    if provenance.real:
        sources = "; ".join(provenance.named_sources) or "sources not recorded"
        return (
            '<p class="real">Computed from <strong>real</strong> network data loaded from the '
            f"configured collector and subscriber files: {html.escape(sources)}.</p>"
        )
    return ""


def provenance_facts(provenance: Provenance) -> dict[str, str]:
    """Provenance in a few flat entries, for asset metadata."""
    passed = sum(check.status == "passed" for check in provenance.checks)
    intervals = sorted(provenance.sampling_intervals.items())
    return {
        "data": provenance.data_kind,
        "sources": "; ".join(provenance.named_sources) or ", ".join(sorted(provenance.sources)),
        "sampling": ", ".join(f"{week}: {interval}" for week, interval in intervals) or "none",
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


def render_report(content: ReportContent) -> str:
    """The whole report page as one HTML string."""
    banner = _data_banner(content.provenance)
    calibration = (
        '<section id="section-calibration"><h2>Calibration of the synthetic data</h2>'
        f"{content.calibration_html}</section>"
        if content.calibration_html is not None
        else ""
    )
    notes = "".join(f'<p class="note">{html.escape(note)}</p>' for note in content.notes)
    title = f"Broadband Traffic Report, week of {content.week}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{html.escape(title)}</h1>{banner}{notes}",
            "<h2>Figures</h2>",
            *(_figure_html(entry, png) for entry, png in content.figures),
            "<h2>Tables</h2>",
            *(_table_html(entry, table) for entry, table in content.tables),
            calibration,
            _provenance_html(content.provenance),
            "</body></html>",
            "",
        ]
    )
