"""The core stays honest: domain, store and services never import textual (nor domain the store)."""
import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "kbtui"
FORBIDDEN = {
    "domain": ("textual", "tinydb", "openpyxl", "python_calamine", "kbtui.store", "kbtui.tui", "click"),
    "store": ("textual", "openpyxl", "kbtui.tui", "click"),
    "services": ("textual", "kbtui.tui", "click"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer):
    offenders = []
    for path in (SRC / layer).rglob("*.py"):
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert not offenders, offenders
