"""The catalogue of figures and tables, their assets and docs/figures.md agree."""

from dagster_project.defs.assets import figure_assets, page_assets, table_assets
from dagster_project.report.catalogue import FIGURES, ITEMS, TABLES, WEEK_ITEMS
from dagster_project.settings import PROJECT_ROOT


def test_every_catalogue_item_has_an_asset_and_is_in_the_report():
    figure_keys = {asset.key.path[-1] for asset in figure_assets.report_figures}
    table_keys = {asset.key.path[-1] for asset in table_assets.report_tables}
    assert figure_keys == {entry.name for entry in FIGURES}
    assert table_keys == {entry.name for entry in TABLES}
    assert page_assets.REPORTED_FIGURES == FIGURES
    assert page_assets.REPORTED_TABLES == TABLES


def test_docs_list_every_item_with_its_marts():
    docs = (PROJECT_ROOT / "docs" / "figures.md").read_text()
    for entry in ITEMS + WEEK_ITEMS:
        line = next(line for line in docs.splitlines() if f"`{entry.name}" in line)
        for mart in entry.marts:
            assert f"`{mart}`" in line, (entry.name, mart)
