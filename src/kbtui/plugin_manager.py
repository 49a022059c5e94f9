"""Plugin discovery and hook calls.

Order: stock plugins (``kbtui_plugins`` sub-packages), installed entry points (group ``kbtui``), then
``.py`` files or packages in the plugin folders. A plugin that fails to load or whose hook raises is
a warning naming the plugin, never a crash. ``KBTUI_DISABLE_PLUGINS`` (comma separated names) blocks some.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import os
import pkgutil
import stat
import sys
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pluggy

from kbtui import PROJECT_NAME, hookspecs
from kbtui.store.owner import user_name

STOCK = "内置"
ENTRY_POINT = "已安装"
FOLDER = "插件目录"
LOCAL_PACKAGE = "kbtui_local_plugins"      # folder plugins are imported as its sub-modules


@dataclass
class PluginInfo:
    name: str
    origin: str
    location: str
    registers: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None


def disabled_names() -> set[str]:
    return {n.strip() for n in os.environ.get("KBTUI_DISABLE_PLUGINS", "").split(",") if n.strip()}


def _hookspec_modules() -> list[ModuleType]:
    return [importlib.import_module(f"{hookspecs.__name__}.{m.name}")
            for m in pkgutil.iter_modules(hookspecs.__path__)]


def _stock_modules() -> list[tuple[str, str]]:
    """(plugin name, module path) for every module in the stock plugin packages."""
    import kbtui_plugins

    found = []
    for package in pkgutil.iter_modules(kbtui_plugins.__path__):
        if not package.ispkg or package.name.startswith("_"):
            continue
        sub = importlib.import_module(f"kbtui_plugins.{package.name}")
        for module in pkgutil.iter_modules(sub.__path__):
            if not module.name.startswith("_"):
                found.append((f"{package.name}.{module.name}", f"kbtui_plugins.{package.name}.{module.name}"))
    return found


def default_trusted_uids() -> frozenset[int]:
    """Without a data folder: root and whoever runs kbtui."""
    return frozenset({0, os.geteuid()})


def _entry_problem(path: Path, trusted: frozenset[int], sticky_ok: bool = False) -> str | None:
    """What is wrong with this one file or folder (a symlink is not followed), or None."""
    try:
        st = path.lstat()
    except OSError:
        return "不存在或无法读取"
    if st.st_uid not in trusted:
        owners = "、".join(user_name(u) for u in sorted(trusted - {0}))
        who = f"数据目录的所有者 {owners} 或 root" if owners else " root（以 root 运行时只加载属于 root 的插件）"
        return f"的所有者是 {user_name(st.st_uid)}，不是{who}"
    if sticky_ok and stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
        return None
    if st.st_mode & stat.S_IWOTH:
        return "其他用户可写（请执行 chmod o-w）"
    if st.st_mode & stat.S_IWGRP:
        return "同组用户可写（请执行 chmod g-w）"
    return None


def _untrusted(path: Path, trusted: frozenset[int]) -> tuple[Path, str] | None:
    """(the offending path, what is wrong) for ``path`` and every folder above it, or None."""
    try:
        real = Path(os.path.realpath(path, strict=True))
    except OSError:
        return Path(os.path.abspath(path)), "不存在或无法读取"
    problem = _entry_problem(real, trusted)
    if problem:
        return real, problem
    for parent in real.parents:
        problem = _entry_problem(parent, trusted, sticky_ok=True)
        if problem:
            return parent, problem
    return None


def _tree_untrusted(root: Path, trusted: frozenset[int]) -> tuple[Path, str] | None:
    """``_untrusted`` for a plugin package or a ``__pycache__`` folder and every file and folder in it
    (Python imports submodules and reads cached bytecode from there)."""
    found = _untrusted(root, trusted)
    if found:
        return found
    for here, dirs, files in os.walk(os.path.realpath(root)):
        for name in (*dirs, *files):
            entry = Path(here) / name
            found = _untrusted(entry, trusted) if entry.is_symlink() else \
                (entry, problem) if (problem := _entry_problem(entry, trusted)) else None
            if found:
                return found
    return None


def _say(what: str, path: Path, found: tuple[Path, str], outcome: str) -> str:
    where, problem = found
    if where in (Path(os.path.abspath(path)), Path(os.path.realpath(path))):
        return f"{what} {path} {problem}，{outcome}"
    return f"{what} {path}：{where} {problem}，{outcome}"


def folder_problem(folder: Path, trusted: frozenset[int] | None = None) -> str | None:
    """Why plugins must not be loaded from this folder, or None.

    A plugin runs with the rights of whoever runs kbtui — on a shared server the service account owning
    every child's data — so whoever can change its file, or any folder on the way to it, can read and change
    all data whatever their role. So the folder (symlinks resolved), every folder above it up to / and its
    bytecode cache must belong to a ``trusted`` uid (the data folder's owner or root; default: root and the
    running user) and be writable by nobody else, group included. Only a folder above that all may write
    but with the sticky bit (/tmp) is accepted: there nobody but an entry's owner may rename or replace it.
    """
    trusted = default_trusted_uids() if trusted is None else frozenset(trusted)
    found = _untrusted(folder, trusted)
    cache = Path(folder) / "__pycache__"
    if not found and cache.exists():
        found = _tree_untrusted(cache, trusted)
    return _say("插件目录", folder, found, "为安全起见不加载其中的插件") if found else None


def plugin_file_problem(path: Path, trusted: frozenset[int] | None = None) -> str | None:
    """Why the plugin file (or package folder) ``path`` in an accepted folder must be skipped, or None."""
    trusted = default_trusted_uids() if trusted is None else frozenset(trusted)
    found = _tree_untrusted(path, trusted) if Path(path).is_dir() else _untrusted(path, trusted)
    return _say("插件文件", path, found, "已跳过") if found else None


class PluginHost:
    def __init__(self, plugin_dirs: list[Path] | None = None, *, load_stock: bool = True,
                 trusted_uids: frozenset[int] | None = None) -> None:
        """``plugin_dirs`` load only when they, their files and every folder above them belong to one of
        ``trusted_uids`` (the data folder's owner and root; default root and the running user) and nobody
        else may write them (``folder_problem``)."""
        self.trusted = default_trusted_uids() if trusted_uids is None else frozenset(trusted_uids)
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        for module in _hookspec_modules():
            self.pm.add_hookspecs(module)
        self.plugins: list[PluginInfo] = []
        self.warnings: list[str] = []
        self._disabled = disabled_names()
        self._info: dict[str, PluginInfo] = {}
        self._loaded: list[tuple[PluginInfo, object]] = []
        if load_stock:
            for name, module_path in _stock_modules():
                self._load(name, STOCK, module_path, lambda p=module_path: importlib.import_module(p))
        self._load_entry_points()
        for folder in plugin_dirs or []:
            self._load_folder(Path(folder))
        self._register_loaded()

    # --- loading -----------------------------------------------------------------------------
    def _load(self, name: str, origin: str, location: str, loader) -> None:
        if name in self._disabled:
            self.plugins.append(PluginInfo(name, origin, location, error="已被 KBTUI_DISABLE_PLUGINS 禁用"))
            return
        info = PluginInfo(name, origin, location)
        try:
            plugin = loader()
            if name in self._info:
                raise ValueError(f"插件名“{name}”与已加载的插件重名")
        except Exception as err:  # noqa: BLE001 - a broken plugin is a warning, not a crash
            self._failed(info, err)
        else:
            self._loaded.append((info, plugin))
            self._info[name] = info
        self.plugins.append(info)

    def _failed(self, info: PluginInfo, err: Exception) -> None:
        info.error = f"{type(err).__name__}: {err}"
        self.warnings.append(f"插件 {info.name}（{info.location}）加载失败，已跳过：{info.error}")

    def _register_loaded(self) -> None:
        """Register the loaded plugins with pluggy, last loaded first: pluggy calls the implementations
        of a hook last registered first, so plain implementations run in load order (stock, installed,
        folders) and a county's plugin finds the stock items it replaces; ``tryfirst``/``trylast`` and
        wrappers are pluggy's own."""
        failed = []
        for info, plugin in reversed(self._loaded):
            try:
                self.pm.register(_guarded(plugin, info.name, self), name=info.name)
            except Exception as err:  # noqa: BLE001 - e.g. a hook that no spec knows, or wrong arguments
                failed.append((info, err))
                self._info.pop(info.name, None)
        for info, err in reversed(failed):
            self._failed(info, err)

    def _load_entry_points(self) -> None:
        for ep in entry_points(group=PROJECT_NAME):
            self._load(ep.name, ENTRY_POINT, ep.value, ep.load)

    def _load_folder(self, folder: Path) -> None:
        problem = folder_problem(folder, self.trusted)
        if problem:
            self.warnings.append(problem)
            return
        for path in sorted(folder.iterdir()):
            if path.name.startswith(("_", ".")):
                continue
            if path.suffix == ".py":
                target = path
            elif path.is_dir() and (path / "__init__.py").exists():
                target = path / "__init__.py"
            else:
                continue
            problem = plugin_file_problem(path, self.trusted)
            if problem:
                self.warnings.append(problem)
                continue
            name = path.stem if path.suffix == ".py" else path.name
            self._load(name, FOLDER, str(path), lambda t=target, n=name: _import_file(n, t))

    # --- calling -----------------------------------------------------------------------------
    def collect(self, hook_name: str, registry: Any, kind: str | None = None) -> Any:
        """Call a registry hook through pluggy (``pm.hook.<name>(registry=…)``) and return the registry.

        While a plugin's implementation runs, ``registry.owner`` is that plugin, so each item remembers who
        registered it; with ``kind`` (the Chinese noun ``kbtui plugins`` shows) each plugin's ``registers``
        lists them. An implementation that raises becomes a warning naming the plugin.
        """
        caller = getattr(self.pm.hook, hook_name)
        try:
            caller(registry=registry)
        finally:
            registry.owner = "core"
        if kind:
            for impl in caller.get_hookimpls():
                info = self._info.get(impl.plugin_name)
                added = registry.owned_by(impl.plugin_name)
                if info is not None and added:
                    info.registers[kind] = added
        return registry

    def hook_failed(self, plugin_name: str, hook_name: str, err: Exception) -> None:
        self.warnings.append(f"插件 {plugin_name} 的 {hook_name} 出错，已跳过：{err}")
        if os.environ.get("KBTUI_DEBUG"):
            traceback.print_exc()


def _guarded(plugin: object, name: str, host: PluginHost) -> SimpleNamespace:
    """The plugin as pluggy sees it: its hook implementations (same markers, same arguments), each run as
    ``name`` (``registry.owner``) and turning an exception into the host's warning instead of ending the
    call for every other plugin."""
    pm = host.pm
    hooks = {}
    for attr in dir(plugin):
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            continue
        function = getattr(plugin, attr)
        hook_name = opts.get("specname") or attr
        wrapping = opts.get("wrapper") or opts.get("hookwrapper")
        hooks[attr] = (_guard_wrapper if wrapping else _guard_plain)(function, name, hook_name, host)
    hooks["__name__"] = getattr(plugin, "__name__", name)
    return SimpleNamespace(**hooks)


def _run_as(plugin_name: str, function: Callable, args: tuple, kwargs: dict) -> None:
    registry = inspect.signature(function).bind_partial(*args, **kwargs).arguments.get("registry")
    if registry is not None and hasattr(registry, "owner"):
        registry.owner = plugin_name


def _guard_plain(function: Callable, plugin_name: str, hook_name: str, host: PluginHost) -> Callable:
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _run_as(plugin_name, function, args, kwargs)
        try:
            return function(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - a broken plugin is a warning, not a crash
            host.hook_failed(plugin_name, hook_name, err)
            return None
    return guarded


def _guard_wrapper(function: Callable, plugin_name: str, hook_name: str, host: PluginHost) -> Callable:
    """A hook wrapper (``wrapper=True`` or ``hookwrapper=True``): a generator run around the others, guarded
    before and after its ``yield``; a failing part leaves the result of the others as it was."""
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        _run_as(plugin_name, function, args, kwargs)
        try:
            steps = function(*args, **kwargs)
            first = next(steps)
        except Exception as err:  # noqa: BLE001
            host.hook_failed(plugin_name, hook_name, err)
            return (yield)
        try:
            outcome = yield first
        except BaseException as inner:      # new-style wrappers see what the others raised
            _run_as(plugin_name, function, args, kwargs)
            try:
                steps.throw(inner)
            except StopIteration as stop:
                return stop.value
            raise RuntimeError(f"插件 {plugin_name} 的 {hook_name} 包装函数 yield 了两次") from None
        _run_as(plugin_name, function, args, kwargs)
        try:
            steps.send(outcome)
        except StopIteration as stop:
            return stop.value
        except Exception as err:  # noqa: BLE001
            host.hook_failed(plugin_name, hook_name, err)
            return outcome
        host.hook_failed(plugin_name, hook_name, RuntimeError("包装函数 yield 了两次"))
        return outcome
    return guarded


def _import_file(name: str, path: Path) -> ModuleType:
    if LOCAL_PACKAGE not in sys.modules:     # the parent of folder plugins: a package's relative imports need it
        parent = ModuleType(LOCAL_PACKAGE)
        parent.__path__ = []
        sys.modules[LOCAL_PACKAGE] = parent
    module_name = f"{LOCAL_PACKAGE}.{name}"
    spec = importlib.util.spec_from_file_location(
        module_name, path, submodule_search_locations=[str(path.parent)] if path.name == "__init__.py" else None)
    if spec is None or spec.loader is None:
        raise ImportError(f"无法加载 {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module
