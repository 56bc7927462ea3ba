"""The sections of a report page: headings, paragraphs, and the figures and tables each
paragraph discusses, shown right after it, as in the published report.

A page is described by section specs whose passages name their items and a writer that
turns the page's facts (its tables as shown, the numbers of its items) into sentences. The
items are placed first, so that they can be numbered in the order the reader meets them,
then the writers run with those numbers.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from dagster_project.report.catalogue import ReportItem
from dagster_project.report.tables import ReportTable

# Paragraph kinds: findings state computed numbers, each a cell of a table on the page;
# method paragraphs say how the data was counted.
FINDING = "finding"
METHOD = "method"
KIND_NAMES = {"figure": "Figure", "table": "Table"}


@dataclass(frozen=True)
class Facts:
    """What a page's text is written from: its tables as shown and its items' numbers."""

    tables: Mapping[str, ReportTable]
    labels: Mapping[str, str]  # item name -> 'Figure 3'
    # Page-wide words the text needs: the week, the time zone, the last month of the totals.
    context: Mapping[str, str] = field(default_factory=dict)
    # How the page's numbers are counted, where a reader could take them otherwise.
    method: tuple[str, ...] = ()

    def table(self, name: str) -> ReportTable | None:
        return self.tables.get(name)

    def refer(self, *names: str) -> str:
        """'Figure 3 and Figure 4': the items of `names` that the page shows."""
        return join_words([self.labels[name] for name in names if name in self.labels])

    def lead(self, names: Sequence[str], verb: tuple[str, str], rest: str) -> str | None:
        """'Figure 3 and Figure 4 show <rest>', the verb given as (singular, plural), for the
        items of `names` the page shows; None when it shows none of them."""
        shown = [name for name in names if name in self.labels]
        if not shown:
            return None
        return f"{self.refer(*shown)} {verb[len(shown) > 1]} {rest}"


# Writer(facts) -> the sentences of a passage; None for one whose numbers the page lacks.
Writer = Callable[[Facts], Iterable[str | None]]


@dataclass(frozen=True)
class Passage:
    """A paragraph and the figures and tables it discusses, shown after it."""

    text: str
    items: tuple[str, ...]
    kind: str = FINDING


@dataclass(frozen=True)
class Section:
    anchor: str
    heading: str
    passages: tuple[Passage, ...]

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(name for passage in self.passages for name in passage.items)


@dataclass(frozen=True)
class PassageSpec:
    """A paragraph's writer and the items it discusses (names of catalogue items; a page
    may show an item once per service)."""

    write: Writer
    items: tuple[str, ...] = ()
    kind: str = FINDING


@dataclass(frozen=True)
class SectionSpec:
    anchor: str
    heading: str
    passages: tuple[PassageSpec, ...]


# Shown(catalogue name) -> the names of the items the page shows for it, in order.
Shown = Callable[[str], Sequence[str]]


def join_words(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def placed(specs: Sequence[SectionSpec], shown: Shown) -> tuple[str, ...]:
    """Every item the page shows, in the order of its sections and passages."""
    return tuple(
        name
        for section in specs
        for passage in section.passages
        for template in passage.items
        for name in shown(template)
    )


def numbered(entries: Sequence[ReportItem]) -> tuple[ReportItem, ...]:
    """The entries with 'Figure k: ' or 'Table k: ' before their titles, counted per kind in
    the order given."""
    counts = dict.fromkeys(KIND_NAMES, 0)
    result = []
    for entry in entries:
        counts[entry.kind] += 1
        label = f"{KIND_NAMES[entry.kind]} {counts[entry.kind]}"
        result.append(replace(entry, title=f"{label}: {entry.title}"))
    return tuple(result)


def labels(entries: Iterable[ReportItem]) -> dict[str, str]:
    """Item name -> 'Figure 3', for the numbered entries."""
    return {entry.name: entry.label for entry in entries if entry.label}


def sentences(written: Iterable[str | None]) -> str:
    """A paragraph of the sentences the page has numbers for ('' when none)."""
    return " ".join(sentence for sentence in written if sentence)


def sections(specs: Sequence[SectionSpec], facts: Facts, shown: Shown) -> tuple[Section, ...]:
    """The page's sections: each passage with its text and items; a passage with neither,
    and a section with no passage, is left out."""
    result = []
    for spec in specs:
        passages = []
        for passage in spec.passages:
            items = tuple(name for template in passage.items for name in shown(template))
            text = sentences(passage.write(facts))
            if text or items:
                passages.append(Passage(text, items, passage.kind))
        if passages:
            result.append(Section(spec.anchor, spec.heading, tuple(passages)))
    return tuple(result)
