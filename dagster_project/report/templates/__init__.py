"""The Jinja2 templates of the report's HTML: page layout, report page, table, provenance.

One environment, built on first use: every template here is HTML, so every value is escaped
unless the caller vouches for it with markupsafe.Markup (a rendered table, a data URI), and a
misspelt variable fails the render instead of leaving a silent gap in the page.
"""

import functools
from typing import Any

import jinja2


def _thousands(number: int) -> str:
    return f"{number:,}"


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dagster_project.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thousands"] = _thousands
    return env


def render(name: str, **context: Any) -> str:
    """The template `name` rendered with `context` (without the file's final newline)."""
    return environment().get_template(name).render(**context)
