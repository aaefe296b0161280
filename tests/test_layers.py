"""The arrows point one way: the check engine (endpoints/probe) never imports the
providers, and no part of endpoints imports the apps built on it (api, monitor)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def imports_under(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            if module.startswith(forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    return found


def test_the_engine_knows_nothing_of_the_providers():
    assert imports_under("endpoints/probe", ("endpoints.providers",)) == []


def test_endpoints_never_imports_the_apps_built_on_it():
    assert imports_under("endpoints", ("api", "monitor")) == []
