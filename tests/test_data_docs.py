"""GX builds the Data Docs site itself: each check run has its own page, and every link works."""

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import pytest

from dagster_project.validation.gx_suites import data_docs_dir, file_context, gx_root
from dagster_project.validation.suite_catalogue import SUITE_CHECKS, SuiteRun, run_suites
from dagster_project.weeks.analysis_week import AnalysisWeek
from tests import validation_data as data

CHECKS = {spec.check_name: spec for spec in SUITE_CHECKS}
EXTERNAL = ("http://", "https://", "//", "#", "mailto:", "javascript:", "data:")


# GX's index draws its tables in the browser from data in a <script>: links to pages are
# `_table_row_link_path` values there, and the cells hold HTML snippets with hrefs.
SCRIPT_LINK = re.compile(r"""(?:href|src)="([^"]+)"|'_table_row_link_path': '([^']+)'""")


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.links += ["".join(match) for match in SCRIPT_LINK.findall(data)]


def local_targets(page: Path) -> dict[str, Path]:
    """Each relative href/src of the page, and the file it points to."""
    parser = _LinkParser()
    parser.feed(page.read_text())
    return {
        link: (page.parent / unquote(urlsplit(link).path)).resolve()
        for link in parser.links
        if not link.startswith(EXTERNAL)
    }


def broken_links(page: Path) -> list[str]:
    return [link for link, target in local_targets(page).items() if not target.is_file()]


@pytest.fixture
def docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data dir, and a fresh GX context for it."""
    monkeypatch.setenv("TRAFFICREPORT_DATA_DIR", str(tmp_path / "data"))
    file_context.cache_clear()
    yield data_docs_dir()
    file_context.cache_clear()


def run(con: duckdb.DuckDBPyConnection, check_name: str) -> SuiteRun:
    spec = CHECKS[check_name]
    ((_, result),) = run_suites([spec], con, AnalysisWeek(data.WEEK) if spec.weekly else None)
    if isinstance(result, Exception):
        raise result
    return result


def test_each_run_has_a_gx_page_and_every_link_resolves(docs: Path, new_warehouse) -> None:
    con = new_warehouse()
    flows = data.flows()
    flows.loc[0, "src_port"] = 70000
    data.load(con, flow_rows=flows)
    data.load_mart(con, "port_usage_by_year", data.port_usage_by_year())

    failing = run(con, "gx_raw_flows")
    passing = run(con, "gx_port_usage_by_year")
    rerun = run(con, "gx_raw_flows")

    assert not failing.outcome.success and passing.outcome.success
    index = docs / "index.html"
    assert index.is_file()
    pages = [failing.docs_page, passing.docs_page, rerun.docs_page]
    assert len(set(pages)) == 3, "a new run adds a page, it does not replace one"
    for page in pages:
        assert page.is_file() and page.is_relative_to(docs)
    for page in docs.rglob("*.html"):  # the index, the suite pages, every result page
        assert broken_links(page) == [], page
    assert set(pages) <= set(local_targets(index).values()), "the index lists every run"
    # The result page is GX's rendering of the stored result: the run and the bad port.
    failing_page = failing.docs_page.read_text()
    assert "gx_raw_flows_2024-06-03" in failing_page and "70000" in failing_page


def test_the_suites_of_a_step_have_their_pages_and_the_index_in_one_build(
    docs: Path, new_warehouse, monkeypatch
) -> None:
    """GX lists every stored result in each build: one build a step, not one a check."""
    con = new_warehouse()
    data.load_mart(con, "port_usage", data.port_usage())
    data.load_mart(con, "ipv6_share", data.ipv6_share())
    context = file_context(gx_root())
    builds: list[int] = []
    build = context.build_data_docs

    def counting_build(**arguments):
        builds.append(len(arguments["resource_identifiers"]))
        return build(**arguments)

    monkeypatch.setattr(context, "build_data_docs", counting_build)
    specs = [CHECKS["gx_port_usage"], CHECKS["gx_ipv6_share"]]
    runs = run_suites(specs, con, AnalysisWeek(data.WEEK))

    assert builds == [4], "one build: two suites' pages and two results' pages"
    pages = [run.docs_page for _, run in runs]
    assert all(page.is_file() for page in pages)
    assert set(pages) <= set(local_targets(docs / "index.html").values())


def test_pages_after_the_first_compile_no_template(docs: Path, new_warehouse, monkeypatch) -> None:
    """GX makes a new jinja Environment for every page; the site's views share what the
    first pages compiled, so later checks of a run do not compile the templates again."""
    import jinja2

    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_template(self, source, name, filename, raw, defer_init)

    con = new_warehouse()
    data.load_mart(con, "port_usage_by_year", data.port_usage_by_year())
    first = run(con, "gx_port_usage_by_year")
    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    second = run(con, "gx_port_usage_by_year")
    assert first.docs_page != second.docs_page and second.docs_page.is_file()
    assert compiled == []
    assert broken_links(second.docs_page) == []
