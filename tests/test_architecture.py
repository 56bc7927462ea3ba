"""The layout keeps its promises: a Dagster layer (defs/) over a core that never imports
Dagster, public Dagster APIs only, one name per module, small modules, no import cycles."""

import ast
from collections import Counter
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "dagster_project"
# The Dagster layer and the entry points built on it; everything else is the core.
DAGSTER_LAYER = ("defs", "definitions.py", "cli.py")
DAGSTER_LIBRARIES = ("dagster", "dagster_dbt", "dagster_duckdb", "dagster_webserver")
LONGEST_MODULE = 400


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Modules a file imports anywhere (`from a.b import c` counts as a.b and a.b.c)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def is_core(path: Path) -> bool:
    return path.relative_to(PACKAGE).parts[0] not in DAGSTER_LAYER


def test_the_core_never_imports_dagster():
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] in DAGSTER_LIBRARIES
        )
        for path in modules()
        if is_core(path)
    }
    assert not {path: names for path, names in offenders.items() if names}


def test_only_public_dagster_apis_are_imported():
    files = [
        *modules(),
        *(PROJECT_ROOT / "tests").rglob("*.py"),
        *(PROJECT_ROOT / "scripts").rglob("*.py"),
    ]
    private = {
        str(path.relative_to(PROJECT_ROOT)): sorted(
            name
            for name in imported_modules(path)
            if name.split(".")[0] in DAGSTER_LIBRARIES and "._" in f".{name}"
        )
        for path in files
    }
    assert not {path: names for path, names in private.items() if names}


def test_no_two_modules_share_a_name():
    names = Counter(path.name for path in modules() if path.name != "__init__.py")
    assert not [name for name, count in names.items() if count > 1]


def test_no_module_is_longer_than_the_limit():
    long = {
        str(path.relative_to(PROJECT_ROOT)): lines
        for path in modules()
        if (lines := len(path.read_text().splitlines())) > LONGEST_MODULE
    }
    assert not long


def module_imports(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports at module level; `from a import b` of a submodule
    `a.b` depends on `a.b` (its package is already being imported)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= (submodules & known) or {node.module}
    return found & known


def test_no_import_cycles():
    """Module-level imports between the project's modules form no cycle."""
    names = {module_name(path): path for path in modules()}
    graph = {name: module_imports(path, set(names)) - {name} for name, path in names.items()}
    visiting, done, cycles = set(), set(), []

    def visit(name: str, stack: list[str]) -> None:
        visiting.add(name)
        for target in sorted(graph[name]):
            if target in visiting:
                cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
            elif target not in done:
                visit(target, [*stack, target])
        visiting.discard(name)
        done.add(name)

    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert not cycles
