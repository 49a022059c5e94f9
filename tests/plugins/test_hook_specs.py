"""Every hook a plugin can implement is documented in the plugin guide and exercised by a test."""
import importlib
import pkgutil
from pathlib import Path

import pytest

from kbtui import PROJECT_NAME, hookspecs

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def hook_names() -> list[str]:
    names = []
    for info in pkgutil.iter_modules(hookspecs.__path__):
        module = importlib.import_module(f"{hookspecs.__name__}.{info.name}")
        names += [name for name, value in vars(module).items() if hasattr(value, f"{PROJECT_NAME}_spec")]
    return sorted(names)


def test_there_are_hooks():
    assert "kbtui_register_ledgers" in hook_names()


@pytest.mark.parametrize("hook", hook_names())
def test_hook_is_documented_in_the_plugin_guide(hook):
    assert f"`{hook}(" in GUIDE, f"docs/plugins.md has no section on {hook}"


@pytest.mark.parametrize("hook", hook_names())
def test_hook_is_exercised_by_a_test(hook):
    here = Path(__file__).resolve()
    users = [p.name for p in (ROOT / "tests").rglob("test_*.py")
             if p.resolve() != here and hook in p.read_text(encoding="utf-8")]
    assert users, f"no test implements {hook} in a plugin"
