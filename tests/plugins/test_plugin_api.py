"""kbtui.api is the plugin authors' one module: every name resolves, is documented, and the stock plugins
import nothing else from kbtui (a plugin written like them keeps working when the core moves modules)."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kbtui import api

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
ALLOWED = {"kbtui", "kbtui.api"}          # the hookimpl marker, the API


def stock_plugin_files() -> list[Path]:
    return sorted((ROOT / "plugins").rglob("*.py"))


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            if node.module == "kbtui":
                found += [(node.lineno, f"kbtui.{a.name}") for a in node.names if a.name not in ("hookimpl", "api")]
    return found


@pytest.mark.parametrize("path", stock_plugin_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_stock_plugins_import_only_the_api(path):
    wrong = [f"{path.name}:{line} {module}" for line, module in imported_modules(path)
             if (module == "kbtui" or module.startswith("kbtui.")) and module not in ALLOWED]
    assert not wrong, "stock plugins import kbtui only through kbtui.api: " + "; ".join(wrong)


def test_the_check_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from kbtui.domain.ledger import Ledger\ndef f():\n    from kbtui.tui.navigation import NavItem\n")
    assert [m for _, m in imported_modules(bad)] == ["kbtui.domain.ledger", "kbtui.tui.navigation"]


def test_every_name_resolves():
    for name in api.__all__:
        assert getattr(api, name) is not None, name
    with pytest.raises(AttributeError):
        api.no_such_name  # noqa: B018


def test_every_name_is_documented_in_the_plugin_guide():
    section = GUIDE[GUIDE.index("## The plugin API: `kbtui.api`"):]
    section = section[:section.index("\n## ", 5)]
    documented = set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", section))
    missing = sorted(set(api.__all__) - documented)
    assert not missing, f"docs/plugins.md's kbtui.api section does not name {missing}"


def test_importing_the_api_loads_neither_textual_nor_the_services():
    code = ("import sys, kbtui.api\n"
            "print(sorted(m for m in sys.modules if m.startswith(('textual', 'kbtui.services', 'kbtui.tui'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
