"""The package map holds: no import circles, calls run down the layers, no import hidden in a function to
dodge a circle, no private name used outside its module (docs/DEVELOPING.md, "Package map").

Read from the source with ``ast``, so the rules hold for code that no test happens to import. Imports under
``if TYPE_CHECKING:`` name a type for the reader and run nothing: they count for no rule but the private
names. A function-level import is allowed only when it defers a heavy library for start-up time, marked on
its line (or the line above) with ``# heavy: imported where used``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
HEAVY = "# heavy: imported where used"

# The layers, lowest first: a module may import its own layer and those listed for it.
BASE = {"kbtui", "kbtui.errors", "kbtui.oserrors", "kbtui.user_paths", "kbtui.bulk"}    # helpers with no kbtui imports
LAYERS: dict[str, set[str]] = {
    "base": set(),
    "domain": {"base"},
    "store": {"base", "domain"},
    "profiles": {"base", "domain"},
    "registry": {"base", "domain"},
    "excel": {"base", "domain", "store"},
    "plugins": {"base", "domain", "store", "profiles", "registry"},          # hookspecs, plugin_manager
    "services": {"base", "domain", "store", "profiles", "registry", "excel", "plugins"},
    "tui": {"base", "domain", "store", "profiles", "registry", "excel", "plugins", "services"},
    "api": {"base", "domain", "store", "profiles", "registry", "excel", "plugins", "services", "tui"},
    "cli": {"base", "domain", "store", "profiles", "registry", "excel", "plugins", "services", "tui", "api"},
}


def layer_of(module: str) -> str:
    if module in BASE:
        return "base"
    part = module.split(".")[1]
    return {"hookspecs": "plugins", "plugin_manager": "plugins", "__main__": "cli"}.get(part, part)


@dataclass
class Import:
    source: str             # the importing module
    target: str             # the module imported (for ``from m import x``: m.x when that is a module)
    names: tuple[str, ...]  # the names taken from it (``from m import a, b``)
    line: int
    in_function: bool
    heavy: bool
    typing_only: bool


@dataclass
class Module:
    name: str
    path: Path
    imports: list[Import] = field(default_factory=list)
    private_uses: list[str] = field(default_factory=list)


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def read_module(name: str, path: Path, known: set[str]) -> Module:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    module = Module(name, path)
    aliases: dict[str, str] = {}        # local name -> kbtui module it stands for

    def marked(node: ast.AST) -> bool:
        return any(HEAVY in lines[i - 1] for i in (node.lineno, node.lineno - 1) if i >= 1)

    def visit(node: ast.AST, in_function: bool, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, True, typing_only)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    visit_one(sub, in_function, True)
                for sub in child.orelse:
                    visit_one(sub, in_function, typing_only)
            else:
                visit_one(child, in_function, typing_only)

    def visit_one(node: ast.AST, in_function: bool, typing_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("kbtui", "kbtui_plugins"):
                    module.imports.append(Import(name, alias.name, (), node.lineno, in_function, marked(node),
                                                 typing_only))
                    if alias.asname:
                        aliases[alias.asname] = alias.name
            if in_function and not any(a.name.split(".")[0] in ("kbtui",) for a in node.names):
                module.imports.append(Import(name, node.names[0].name, (), node.lineno, in_function, marked(node),
                                             typing_only))
            return
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join(package + ([node.module] if node.module else []))
            names = tuple(a.name for a in node.names)
            if base.split(".")[0] == "kbtui":
                taken_modules = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
                plain = tuple(n for n in names if f"{base}.{n}" not in known)
                for target in taken_modules:
                    module.imports.append(Import(name, target, (), node.lineno, in_function, marked(node),
                                                 typing_only))
                if plain or not taken_modules:
                    module.imports.append(Import(name, base, plain, node.lineno, in_function, marked(node),
                                                 typing_only))
                for alias in node.names:
                    if f"{base}.{alias.name}" in known:
                        aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
            elif in_function:
                module.imports.append(Import(name, base, names, node.lineno, in_function, marked(node),
                                             typing_only))
            return
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target = aliases.get(node.value.id)
            if target and target != name and _private(node.attr):
                module.private_uses.append(f"{name}:{node.lineno} uses {target}.{node.attr}")
        visit(node, in_function, typing_only)

    visit(ast.parse(text), False, False)
    return module


def _private(attr: str) -> bool:
    return attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__"))


@cache
def package_modules() -> dict[str, Module]:
    paths = {module_name(p, SRC): p for p in (SRC / "kbtui").rglob("*.py")}
    known = set(paths)
    return {name: read_module(name, path, known) for name, path in sorted(paths.items())}


def runtime_edges(modules: dict[str, Module]) -> dict[str, set[str]]:
    """Module-level imports that run: importing ``a.b.c`` runs ``a`` and ``a.b`` as well."""
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module in modules.values():
        for imp in module.imports:
            if imp.typing_only or imp.in_function or not imp.target.startswith("kbtui"):
                continue
            parts = imp.target.split(".")
            for i in range(1, len(parts) + 1):
                target = ".".join(parts[:i])
                if target in modules and target != module.name and not module.name.startswith(target + "."):
                    edges[module.name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


def capability(module: str) -> str:
    """kbtui.services.intake.importer -> kbtui.services.intake; top-level services modules stand alone."""
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[:2] == ["kbtui", "services"] else module


def test_no_import_circles_between_modules():
    found = cycles(runtime_edges(package_modules()))
    assert not found, "import circles (move the shared piece down into a lower module):\n" + "\n".join(
        " <-> ".join(c) for c in found)


def test_no_circles_between_service_packages():
    edges: dict[str, set[str]] = {}
    for source, targets in runtime_edges(package_modules()).items():
        if not source.startswith("kbtui.services."):
            continue
        for target in targets:
            a, b = capability(source), capability(target)
            if target.startswith("kbtui.services.") and a != b:
                edges.setdefault(a, set()).add(b)
    found = cycles(edges)
    assert not found, "service packages that call each other both ways:\n" + "\n".join(
        " <-> ".join(c) for c in found)


def test_every_module_has_a_layer():
    unknown = sorted(m for m in package_modules() if layer_of(m) not in LAYERS)
    assert not unknown, f"modules outside the layer map (add them to LAYERS in this test): {unknown}"


def test_imports_run_down_the_layers():
    breaches = []
    for module in package_modules().values():
        layer = layer_of(module.name)
        for imp in module.imports:
            if imp.typing_only or not imp.target.startswith("kbtui."):
                continue
            target = layer_of(imp.target) if imp.target not in BASE else "base"
            if target != layer and target not in LAYERS.get(layer, set()):
                breaches.append(f"{module.name}:{imp.line} ({layer}) imports {imp.target} ({target})")
    assert not breaches, "imports that run up a layer:\n" + "\n".join(breaches)


# The function-level and private-name rules hold for every layer (a TUI screen deferred to its first visit is
# marked heavy, with that reason, like a heavy library).
STRICT = set(LAYERS)


def _kbtui(target: str) -> bool:
    return target == "kbtui" or target.startswith("kbtui.")


def test_no_function_level_imports_except_heavy_libraries():
    hidden = [f"{m.name}:{imp.line} imports {imp.target} inside a function"
              for m in package_modules().values() if layer_of(m.name) in STRICT
              for imp in m.imports if imp.in_function and _kbtui(imp.target) and not imp.heavy]
    assert not hidden, (f"function-level imports (import at the top; a heavy library deferred for start-up "
                        f"is marked '{HEAVY}'):\n" + "\n".join(hidden))


def _other_modules() -> list[Module]:
    """Plugins, tests, benchmarks and scripts: they may use kbtui's public names only."""
    modules = package_modules()
    known = set(modules)
    found = []
    for folder in ("plugins", "tests", "benchmarks", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found.append(read_module(module_name(path, ROOT), path, known))
    return found


def test_no_private_name_used_outside_its_module():
    uses = []
    for module in [*package_modules().values(), *_other_modules()]:
        strict = module.name.startswith("kbtui.") and layer_of(module.name) in STRICT
        for use in module.private_uses:
            target = use.split(" uses ")[1]
            if strict or layer_of(target) in STRICT:
                uses.append(use)
        for imp in module.imports:
            if _kbtui(imp.target) and imp.target != module.name and (strict or layer_of(imp.target) in STRICT):
                uses += [f"{module.name}:{imp.line} imports {imp.target}.{n}" for n in imp.names if _private(n)]
    assert not uses, "private names used outside their module (make them public or move them):\n" + "\n".join(
        uses)


def test_the_rules_see_what_they_should():
    """The reader itself: a circle, a breach, a hidden import and a private name are all found."""
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    modules = package_modules()
    assert "kbtui.services.workspace" in modules and "kbtui.store" in modules
    assert layer_of("kbtui.services.intake.importer") == "services"
    assert layer_of("kbtui.hookspecs.core") == "plugins"
    assert capability("kbtui.services.intake.importer") == "kbtui.services.intake"
    sample = ROOT / "tests" / "_architecture_sample.py"
    sample.write_text("import os\nfrom kbtui.services.workspace import _undo_create\n"
                      "from kbtui.services import workspace\n"
                      "def f():\n    from kbtui.store import StoreError\n    return workspace._core_checks\n"
                      "def g():\n    import openpyxl  # heavy: imported where used\n", encoding="utf-8")
    try:
        module = read_module("tests._architecture_sample", sample, set(modules))
    finally:
        sample.unlink()
    hidden = [(i.target, i.heavy) for i in module.imports if i.in_function]
    assert hidden == [("kbtui.store", False), ("openpyxl", True)]
    assert any(i.names == ("_undo_create",) for i in module.imports)
    assert module.private_uses == ["tests._architecture_sample:6 uses kbtui.services.workspace._core_checks"]


# --- re-exports: kbtui.api is the only module that hands on names it imports ---------------------------------

#: The sanctioned re-exports: the plugin authors' API; the faces of the store package and its PostgreSQL part
#: (``from kbtui.store import ChildStore``: the layer map treats the store as one unit); and ``kbtui.cli``,
#: whose ``cli`` is the click group once every command module has been loaded into it.
REEXPORTS_ALLOWED = {"kbtui.api", "kbtui.store", "kbtui.store.postgres", "kbtui.cli"}


def _dunder_all(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AnnAssign, ast.AugAssign)) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            names |= {c.value for c in ast.walk(node.value)
                      if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return names


def reexports(path: Path, first_party: tuple[str, ...] = ("kbtui", "kbtui_plugins")) -> list[str]:
    """Names a module imports from kbtui only to hand them on: listed in ``__all__``, imported as themselves
    (``import x as x``), or never used in the module (a ``noqa: F401`` import); and a module ``__getattr__``
    that hands on another module's names."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    imported: dict[str, tuple[int, bool]] = {}     # local name -> (line, imported "as itself")

    def top_level(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in first_party):
                for alias in node.names:
                    imported[alias.asname or alias.name] = (node.lineno, alias.asname == alias.name)
            elif isinstance(node, (ast.If, ast.Try)):
                top_level([*node.body, *node.orelse, *getattr(node, "finalbody", [])])

    top_level(tree.body)
    in_all = _dunder_all(tree)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    # names used only in string annotations ("Workspace") or docstring-free type comments
    used |= {word for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)
             and len(c.value) < 200 for word in _words(c.value)} - in_all
    found = [f"line {line}: {name}" + (" (in __all__)" if name in in_all else " (imported as itself)" if as_itself
                                       else " (unused: imported only to be handed on)")
             for name, (line, as_itself) in sorted(imported.items(), key=lambda item: item[1])
             if name in in_all or as_itself or name not in used]
    found += [f"line {node.lineno}: module __getattr__" for node in tree.body
              if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"]
    return found


def _words(text: str) -> set[str]:
    return {w for w in "".join(ch if ch.isalnum() or ch == "_" else " " for ch in text).split()}


def test_no_module_but_the_api_reexports():
    found = []
    for name, module in package_modules().items():
        if name not in REEXPORTS_ALLOWED:
            found += [f"{name} {what}" for what in reexports(module.path)]
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        found += [f"{module_name(path, ROOT)} {what}" for what in reexports(path)]
    assert not found, ("modules that re-export names they import (import each name from the module defining "
                       "it; kbtui.api is the only re-export):\n" + "\n".join(found))


def test_the_reexport_rule_sees_a_reexport(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from kbtui.store.errors import StoreError, stale_message, write_failed\n"
                      "from kbtui.errors import RecordNotFound as RecordNotFound\n"
                      "from kbtui.domain.child import Record\n"
                      "def f(x: 'Record'):\n    return write_failed(x, None)\n"
                      "def __getattr__(name):\n    return name\n"
                      "__all__ = ['StoreError', 'f']\n", encoding="utf-8")
    assert reexports(sample) == ["line 1: StoreError (in __all__)", "line 1: stale_message (unused: imported "
                                 "only to be handed on)", "line 2: RecordNotFound (imported as itself)",
                                 "line 6: module __getattr__"]


def imports_of_test_modules(path: Path) -> list[str]:
    """The ``tests.…test_*`` modules that a file imports (a test module's helpers belong in tests/helpers/)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                 else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        found += [f"line {node.lineno}: {name}" for name in names
                  if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")]
    return found


def test_no_test_module_imports_another():
    found = [f"{path.relative_to(ROOT)} {what}" for path in sorted((ROOT / "tests").rglob("*.py"))
             for what in imports_of_test_modules(path)]
    assert not found, "test modules importing other test modules (move the helper into tests/helpers/):\n" + \
        "\n".join(found)


def test_the_test_import_rule_sees_one(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("import tests.store.test_bulk\nfrom tests.helpers.imports import cid\n"
                      "def f():\n    from tests.intake.test_import_cli import messy_police\n", encoding="utf-8")
    assert imports_of_test_modules(sample) == ["line 1: tests.store.test_bulk",
                                               "line 4: tests.intake.test_import_cli"]
