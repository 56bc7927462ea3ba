"""Reading a report page as its reader does: headings, paragraphs, captions and table cells,
and the text of its PDF; `check_publication` holds what every page must satisfy."""

import html
import re
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

# A reference to an item ('Figure 3', 'Table 5'): a name, not a number the text states.
REFERENCE = re.compile(r"\b(?:Figure|Table) \d+\b")
# The numbers a sentence states: dates, hours, and integers or decimals (signs are words),
# not the digit of a name such as IPv6.
NUMBER = re.compile(r"(?<![A-Za-z])(?:\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|\d+(?:\.\d+)?)")
TEXT_TAGS = ("h1", "h2", "h3", "p", "figcaption", "th", "td", "li")
# The section headings of the report page and of a week's page, as published where the
# week's data allows.
YEAR_HEADINGS = [
    "1 Overview",
    "2 About the data",
    "3 Users' daily traffic",
    "4 Usage by port",
    "5 Looking back on the past five years",
    "6 Conclusion",
    "Appendix A: Calibration of the synthetic data",
    "Appendix B: Provenance",
]
WEEK_HEADINGS = [
    "1 Overview",
    "2 About the data",
    "3 Users' daily traffic",
    "4 Usage by port",
    "5 Conclusion",
    "Appendix A: Provenance",
]


class _PageReader(HTMLParser):
    """Every text element of interest as (tag, class, text), in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, str, str]] = []
        self._open: list[tuple[str, str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in TEXT_TAGS:
            self._open.append((tag, dict(attrs).get("class") or "", []))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            name, css, text = self._open.pop()
            self.elements.append((name, css, " ".join("".join(text).split())))
            if self._open:
                self._open[-1][2].append("".join(text))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def elements(page: str) -> list[tuple[str, str, str]]:
    reader = _PageReader()
    reader.feed(page)
    return reader.elements


def texts(page: str, tag: str, css: str | None = None) -> list[str]:
    return [text for name, cls, text in elements(page) if name == tag and css in (None, cls)]


def headings(page: str) -> list[str]:
    """The page's section headings in order (the table of contents' own heading left out)."""
    return [text for text in texts(page, "h2") if text != "Contents"]


def findings(page: str) -> list[str]:
    return texts(page, "p", "finding")


def stated_numbers(text: str) -> list[str]:
    return NUMBER.findall(REFERENCE.sub("", text))


def table_numbers(page: str) -> set[str]:
    """Every number in a header or body cell of any table on the page."""
    cells = [*texts(page, "th"), *texts(page, "td")]
    return {number for cell in cells for number in NUMBER.findall(cell)}


def item_labels(page: str) -> list[str]:
    """'Figure 3', 'Table 1': each figure's caption label and each table's title label."""
    captions = [REFERENCE.match(text) for text in texts(page, "figcaption")]
    titles = [REFERENCE.match(text) for text in texts(page, "h3")]
    return [match.group(0) for match in (*captions, *titles) if match]


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def check_publication(page: str, pdf: Path, expected_headings: list[str]) -> None:
    """The page reads as a publication: its sections in order; every figure and table
    numbered, once, and referred to by the text; no title twice; every number the findings
    state is in a table of the page; the PDF holds every heading and table number."""
    assert headings(page) == expected_headings
    labels = item_labels(page)
    assert labels and len(labels) == len(set(labels)), Counter(labels)
    assert len(labels) == page.count("<figure ") + page.count('<div class="table-block"')
    text = " ".join(findings(page))
    assert [label for label in labels if not re.search(rf"\b{label}\b", text)] == []
    titles = [*texts(page, "h1"), *texts(page, "h2"), *texts(page, "h3")]
    assert [title for title, count in Counter(titles).items() if count > 1] == []
    visible = " ".join(text for _, _, text in elements(page))
    assert [title for title in texts(page, "h3") if visible.count(title) > 1] == []
    # A figure's title is drawn in its image (and is its alt text), not written again.
    drawn = [html.unescape(title) for title in re.findall(r'alt="([^"]+)"', page)]
    assert [title for title in drawn if title in visible] == []
    shown = table_numbers(page)
    for paragraph in findings(page):
        missing = [number for number in stated_numbers(paragraph) if number not in shown]
        assert missing == [], (missing, paragraph)
    printed = " ".join(pdf_text(pdf).split())
    assert [heading for heading in expected_headings if heading not in printed] == []
    tables = [label for label in labels if label.startswith("Table")]
    assert [label for label in tables if label not in printed] == []
