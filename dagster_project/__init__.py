"""trafficreport: the weekly Broadband Traffic Report as Dagster assets."""

from dagster_project.processes.huge_pages import disable_transparent_huge_pages

# Before any library allocates: every process that loads the project (the command line,
# `dagster asset materialize`, the code server and its run workers) and the dbt it starts run
# without transparent huge pages, unless TRAFFICREPORT_HUGE_PAGES=kernel.
disable_transparent_huge_pages()
