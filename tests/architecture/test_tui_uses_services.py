"""Screens call services, never the store: nothing in kbtui.tui reaches ``workspace.store``, the unscoped
``raw_store`` or a store collection, and it imports nothing from kbtui.store: the errors the services' calls
raise (to show their Chinese message) are defined below the store, in ``kbtui.errors``."""
import ast
import re
from pathlib import Path

import pytest

TUI = Path(__file__).resolve().parents[2] / "src" / "kbtui" / "tui"
REACHES_THE_STORE = re.compile(r"(?<!kbtui)\.store\b|\braw_store\b|\.collection\(|\.journal\.")


def tui_files() -> list[Path]:
    return sorted(TUI.rglob("*.py"))


@pytest.mark.parametrize("path", tui_files(), ids=lambda p: str(p.relative_to(TUI)))
def test_screens_do_not_reach_the_store(path):
    text = path.read_text(encoding="utf-8")
    found = [f"{path.name}:{n} {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
             if REACHES_THE_STORE.search(line) and not line.lstrip().startswith("#")]
    assert not found, "screens call services, not the store: " + "; ".join(found)


@pytest.mark.parametrize("path", tui_files(), ids=lambda p: str(p.relative_to(TUI)))
def test_screens_import_nothing_from_the_store(path):
    wrong = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            wrong += [a.name for a in node.names if a.name == "kbtui.store" or a.name.startswith("kbtui.store.")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "") == "kbtui" and any(
                a.name == "store" for a in node.names):
            wrong.append("kbtui.store")
        elif isinstance(node, ast.ImportFrom) and (node.module == "kbtui.store"
                                                   or (node.module or "").startswith("kbtui.store.")):
            wrong += [f"{node.module}.{a.name}" for a in node.names]
    assert not wrong, (f"{path.name} imports {wrong} from the store (take a store error from "
                       f"kbtui.errors)")

