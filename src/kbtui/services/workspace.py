"""A workspace: one data folder opened with its profile, plugins, store and the operator's identity."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
import platformdirs

from kbtui.domain import roles as R
from kbtui.domain.ledger import Ledger, LedgerContext
from kbtui.domain.ledger_columns import with_town
from kbtui.domain.status import StatusRegistry
from kbtui.errors import StoreError
from kbtui.oserrors import os_error_reason
from kbtui.plugin_manager import PluginHost
from kbtui.profiles import Profile, ProfileError, load_profile
from kbtui.registry import Registry
from kbtui.services.access import operators
from kbtui.services.access.scope import ScopedStore
from kbtui.services.campaign.campaigns import current_campaign
from kbtui.services.children.places import known_villages
from kbtui.services.intake.checks import CORE_CHECKS, Check, CheckContext
from kbtui.store import backends, layout
from kbtui.store.owner import user_name
from kbtui.store.storage import atomic_write

PROFILE_FILE = "profile.toml"
META_FILE = operators.META_FILE
SUBFOLDERS = ("exports", "rejects", "backups", "attachments")


class WorkspaceError(Exception):
    """A data folder that cannot be used; the message is Chinese and says what to do."""


def default_data_dir() -> Path:
    env = os.environ.get("KBTUI_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir("kbtui"))


def default_operator() -> str:
    """The OS login (from the real uid; ``SUDO_USER`` under sudo): see services.access.operators.os_login."""
    return operators.os_login()


def is_data_folder(root: Path) -> bool:
    """Does ``root`` hold a data folder? (True when it cannot be looked into: opening it says why not.)"""
    try:
        (Path(root) / META_FILE).stat()
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        return False
    except OSError:
        return True
    return True


def folder_owner_problem(root: Path) -> str | None:
    """Why the running user may not open this data folder: it is opened only by its owner (on a server, the
    service account, reached through ``sudo -u``) or root. Anyone else either cannot read it, or — a folder
    of their own, with an operators.toml naming themselves 镇管理员 — would have kbtui run, as the service
    account, whatever that folder names (its plugin folders, ``--plugins-dir``)."""
    me = os.geteuid()
    try:
        owner = root.stat().st_uid
        if me == 0 or owner == me:
            for path in (root / META_FILE, root / PROFILE_FILE):
                with open(path, "rb"):
                    pass
            return None
    except FileNotFoundError:
        return None              # a missing profile is reported by load_profile with its own message
    except OSError as err:
        reason = "没有权限" if isinstance(err, PermissionError) else (err.strerror or str(err))
        return f"无法读取数据目录 {root}（{reason}），请镇管理员检查目录权限"
    name = user_name(owner)
    return (f"数据目录 {root} 属于 {name}，不能以 {user_name(me)} 的身份打开：请以它的身份运行"
            f"（乡镇服务器上：sudo -u {name} kbtui），或请镇管理员检查目录的所有者")


def _undo_create(root: Path, existed: bool) -> None:
    """Remove what a failed ``Workspace.create`` wrote: the folder, or (if it was there, empty) its content."""
    if not existed:
        shutil.rmtree(root, ignore_errors=True)
        return
    for child in list(root.iterdir()) if root.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def folder_is_unsafe(root: Path) -> str | None:
    mode = root.stat().st_mode
    if mode & (stat.S_IWOTH | stat.S_IWGRP):
        return (f"数据目录 {root} 可被其他用户写入，为保护儿童信息已拒绝打开。"
                f"请执行 chmod 700 {root} 后重试")
    profile = root / PROFILE_FILE      # it names the plugin folders and every rule
    if profile.exists() and profile.stat().st_mode & (stat.S_IWOTH | stat.S_IWGRP):
        return (f"配置文件 {profile} 可被其他用户修改，为保护儿童信息已拒绝打开。"
                f"请执行 chmod 600 {profile} 后重试")
    return None


def trusted_uids(root: Path) -> frozenset[int]:
    """Who may own plugin code run on this data folder: root, and its owner (the service account) when
    kbtui runs as that owner — run as root, only root's (the service account's code must not run as root)."""
    owner = Path(root).stat().st_uid
    return frozenset({0, owner}) if owner == os.geteuid() else frozenset({0})


def plugin_folders(root: Path, profile: Profile, account: operators.Operator,
                   extra: list[Path] | None) -> list[Path]:
    """The plugin folders to load: the profile's, and ``--plugins-dir`` only for a role that administers
    the data folder (镇管理员): a plugin runs as the data owner and reads every child, whatever the scope
    of whoever named it. Raises AccessDenied for anyone else, before any plugin is loaded."""
    extra = [Path(d) for d in extra or []]
    if extra and not account.role_info.may(R.ADMIN):
        raise operators.AccessDenied(
            f"只有镇管理员可以用 --plugins-dir 加载插件目录（您的角色是{account.role}）："
            "插件以数据目录所有者的身份运行，"
            f"能读写全部儿童数据。请去掉 --plugins-dir，或请镇管理员把插件目录写进配置的 [plugins] dirs")
    return list(profile.plugin_dirs) + extra


def _core_checks() -> Registry[Check]:
    registry: Registry[Check] = Registry("数据检查")
    for name, check in CORE_CHECKS.items():
        registry.add(name, check)
    return registry


@dataclass(frozen=True)
class RegistryHook:
    """A registry that plugins fill through a hook; ``kind`` is the Chinese noun ``kbtui plugins`` shows."""

    hook: str
    kind: str
    make: Callable[[], Any] | None = None     # a fresh registry (with core items); default: Registry(kind)

    def fresh(self) -> Any:
        return self.make() if self.make else Registry(self.kind)


# Workspace properties backed by a plugin registry (name → hook). Feature modules add theirs here.
REGISTRY_HOOKS: dict[str, RegistryHook] = {
    "statuses": RegistryHook("kbtui_register_statuses", "状态", StatusRegistry),
    "all_ledgers": RegistryHook("kbtui_register_ledgers", "台账"),
    "checks": RegistryHook("kbtui_register_checks", "数据检查", _core_checks),
    "ladders": RegistryHook("kbtui_register_ladders", "劝返流程"),
    "placements": RegistryHook("kbtui_register_placements", "安置方式"),
    "all_reports": RegistryHook("kbtui_register_reports", "报表"),
    "risk_factors": RegistryHook("kbtui_register_risk_factors", "预警因素"),
    "sources": RegistryHook("kbtui_register_sources", "名单类型"),
}
# Registries the TUI fills when it starts (navigation.py); listed here so ``kbtui plugins`` shows them.
TUI_HOOKS: tuple[RegistryHook, ...] = (
    RegistryHook("kbtui_register_screens", "界面"),
    RegistryHook("kbtui_register_dashboard_panels", "总览面板"),
    RegistryHook("kbtui_register_list_columns", "名单列"),
    RegistryHook("kbtui_register_commands", "命令"),
)


def fill_registries(host: PluginHost) -> None:
    """Call every registry hook once on fresh registries, so that each plugin's contributions are known."""
    for spec in (*REGISTRY_HOOKS.values(), *TUI_HOOKS):
        host.collect(spec.hook, spec.fresh(), kind=spec.kind)


@dataclass
class Workspace:
    root: Path
    profile: Profile
    store: ScopedStore                            # the children and collections within the operator's scope
    operator: str
    plugins: PluginHost
    meta: dict = field(default_factory=dict)
    raw_store: Any = None                        # unscoped (store.repository.StoreBackend): admin-only code
    account: operators.Operator | None = None    # who is working: role and scope (services.access.operators)

    # --- creating and opening ----------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, profile_path: Path, operator: str | None = None,
               plugin_dirs: list[Path] | None = None, extra_meta: dict | None = None,
               database: str | None = None) -> Workspace:
        """A new data folder for ``profile_path``. ``database``: a PostgreSQL URL (set up by the database
        administrator) that holds the children, collections and journal; the folder keeps the rest."""
        root = Path(root)
        if (root / META_FILE).exists():
            raise WorkspaceError(f"数据目录 {root} 已经初始化过，不能覆盖（如需重建请换一个目录）")
        if root.exists() and any(root.iterdir()):
            raise WorkspaceError(f"数据目录 {root} 不是空目录，请换一个空目录")
        profile = load_profile(profile_path)  # validate before writing anything
        store_meta = {}
        login_towns = None            # a town's database login: its creator is that town's admin
        if database or os.environ.get(backends.URL_ENV):
            url = database or os.environ[backends.URL_ENV]
            try:
                tried = backends.open_backend(root, {backends.META_KEY: {"url": url}}, load=False)
                login_towns = tried.towns
                tried.close()
            except StoreError as err:
                raise WorkspaceError(f"{err}（未创建数据目录）") from None
            store_meta = {backends.META_KEY: {"url": backends.without_password(url)},
                          operators.FOLDER_ID: uuid.uuid4().hex}
        existed = root.exists()
        operator = operator or default_operator()
        try:
            layout.ensure_private_dir(root)
            for name in SUBFOLDERS:
                layout.ensure_private_dir(root / name)
            atomic_write(root / PROFILE_FILE, Path(profile_path).read_bytes())
            meta = {"profile": Path(profile_path).stem, "created": dt.datetime.now().isoformat(timespec="seconds"),
                    "created_by": operator, **store_meta, **(extra_meta or {})}
            atomic_write(root / META_FILE, orjson.dumps(meta, option=orjson.OPT_INDENT_2))
            first_role = R.DISTRICT_ADMIN if profile.district is not None and not login_towns else R.TOWN_ADMIN
            operators.write_initial_operators(root, [operator, default_operator()], first_role,   # the creator
                                              towns=login_towns or ())
            store = backends.open_backend(root, meta, load=False)
            try:
                operators.journal_initial_operators(store.journal, operator, root)
            finally:
                store.close()
        except BaseException as err:
            _undo_create(root, existed)       # a data folder is whole or not there (an empty one stays empty)
            if isinstance(err, OSError):
                raise WorkspaceError(f"无法创建数据目录 {root}：{os_error_reason(err)}（未留下不完整的目录）") from None
            raise
        return cls.open(root, operator, plugin_dirs)

    @classmethod
    def open(cls, root: Path, operator: str | None = None,
             plugin_dirs: list[Path] | None = None, load_children: bool = True,
             lazy_children: bool = False) -> Workspace:
        """Open a data folder (refusing an unsafe one or an unknown operator). ``load_children=False``
        leaves the children to the store's first ``refresh()`` (the TUI: its frame shows first);
        ``lazy_children`` reads them as they are asked for (the command line: ``ChildStore`` opened lazy)."""
        root = Path(root)
        if not is_data_folder(root):
            raise WorkspaceError(
                f"{root} 不是 kbtui 数据目录。请先执行 kbtui init --profile <配置名> 或 kbtui demo")
        not_ours = folder_owner_problem(root)
        if not_ours:
            raise WorkspaceError(not_ours)
        unsafe = folder_is_unsafe(root)
        if unsafe:
            raise WorkspaceError(unsafe)
        try:
            profile = load_profile(root / PROFILE_FILE)
        except ProfileError as err:
            raise WorkspaceError(str(err)) from None
        meta = orjson.loads((root / META_FILE).read_bytes())
        account = operators.resolve_operator(root, operator, meta,   # AccessDenied: nothing is opened
                                             district=profile.district is not None)
        problem = operators.district_scope_problem(account, profile.district.town_names if profile.district else None)
        if problem:
            raise operators.AccessDenied(problem)
        if profile.district is not None:
            account = dataclasses.replace(account, district=True)
        profile.label = meta.get("profile")
        plugins = PluginHost(plugin_folders(root, profile, account, plugin_dirs),
                             trusted_uids=trusted_uids(root))
        try:
            store = backends.open_backend(root, meta, profile_store=profile.section("store"), load=False,
                                          lazy=lazy_children)
        except StoreError as err:
            raise WorkspaceError(str(err)) from None
        scoped = ScopedStore(store, account)       # hands the scope to a database before anything is read
        if load_children and not store.lazy:       # (a lazy store reads as it is asked)
            store.refresh()
        return cls(root, profile, scoped, account.login, plugins, meta, raw_store=store, account=account)

    @property
    def backend(self) -> str:
        """``tinydb`` (the data folder's own store) or ``postgresql`` (a district database)."""
        return backends.backend_kind(self.raw_store)

    # --- the children, for screens (which call services, never the store) ----------------------
    def child(self, id_number: str) -> dict | None:
        """The child record within the operator's scope, or None."""
        return self.store.get(id_number)

    def children(self) -> list[dict]:
        """Every child record within the operator's scope."""
        return list(self.store.all())

    def villages_with_children(self) -> list[str]:
        """The villages the operator's children live in, sorted (for a village picker; in a district with their
        town, 城头镇新村, in the profile's order of towns)."""
        return known_villages(self)

    def whole_label(self) -> str:
        """What "every child" is called in a picker: 全镇 in a township; in a district the operator's scope
        (全区 for the bureau, 城头镇 for a town's admin)."""
        if self.profile.district is None or self.account is None:
            return "全镇"
        return self.account.scope_text()

    def child_journal(self, id_number: str) -> list[dict]:
        """The journal entries about one child, oldest first."""
        return list(self.store.journal.entries(record=id_number))

    @property
    def children_loaded(self) -> bool:
        """False when opened with ``load_children=False`` and ``refresh_children`` has not run yet."""
        return bool(getattr(self.store, "loaded", True))

    def save_listener(self) -> Any:
        """What tells an open list that another operator saved (a database: LISTEN/NOTIFY; its ``wait(timeout)``
        gives the chains saved to), or None for a data folder's own store (lists re-read when shown)."""
        listen = getattr(self.raw_store, "listener", None)
        return listen() if listen is not None else None

    def refresh_children(self) -> bool:
        """Read what other operators saved since; True when something changed (StoreError if damaged)."""
        return self.store.refresh()

    # --- registries filled by plugins --------------------------------------------------------
    def _collect(self, name: str) -> Any:
        spec = REGISTRY_HOOKS[name]
        return self.plugins.collect(spec.hook, spec.fresh(), kind=spec.kind)

    @cached_property
    def statuses(self) -> StatusRegistry:
        return self._collect("statuses")

    @cached_property
    def all_ledgers(self) -> Registry[Ledger]:
        return self._collect("all_ledgers")

    @property
    def ledgers(self) -> dict[str, Ledger]:
        """The ledgers this profile uses (all registered ones unless the profile lists them)."""
        enabled = self.profile.ledgers
        registry = self.all_ledgers
        chosen = dict(registry.items()) if enabled is None else \
            {name: registry[name] for name in enabled if name in registry}
        if self.profile.district is not None:     # a district's ledgers carry each child's town
            chosen = {name: with_town(ledger) for name, ledger in chosen.items()}
        return chosen

    @cached_property
    def checks(self) -> Registry[Check]:
        return self._collect("checks")

    @cached_property
    def ladders(self) -> Registry:
        """Every registered escalation ladder (the profile picks some: services.escalation.escalation)."""
        return self._collect("ladders")

    @cached_property
    def placements(self) -> Registry:
        """Placement options for disabled children (``kbtui_register_placements``; services.disability.placements)."""
        return self._collect("placements")

    @cached_property
    def all_reports(self) -> Registry:
        """Every registered report (``kbtui_register_reports``; services.reporting.reports)."""
        return self._collect("all_reports")

    @cached_property
    def risk_factors(self) -> Registry:
        """Every registered early-warning factor (``kbtui_register_risk_factors``; services.risk.risk)."""
        return self._collect("risk_factors")

    @cached_property
    def sources(self) -> Registry:
        """Every kind of name list ``kbtui import`` reads (``kbtui_register_sources``; services.sources)."""
        return self._collect("sources")

    @property
    def reports(self) -> dict:
        """The reports this profile uses (``[reports] enabled``; all registered ones if it lists none)."""
        enabled = self.profile.settings.reports
        registry = self.all_reports
        if enabled is None:
            return dict(registry.items())
        return {name: registry[name] for name in enabled if name in registry}

    @property
    def campaign_profile(self) -> Profile:
        """The profile as the current campaign sees it: a campaign of another year counts ages on the
        cutoff day of its own year (classification, ledgers, checks and reports use this)."""
        campaign = current_campaign(self)
        if campaign.year == self.profile.year:
            return self.profile
        return self.profile.for_year(campaign.year, campaign.title)

    def check_context(self, today: dt.date | None = None) -> CheckContext:
        return CheckContext(self.campaign_profile, self.statuses, today)

    def context(self, today: dt.date | None = None) -> LedgerContext:
        return LedgerContext(self.campaign_profile, today)

    def folder(self, name: str) -> Path:
        path = self.root / name
        layout.ensure_private_dir(path)
        return path

    def fill_registries(self) -> None:
        """Run every registry hook once, so that each plugin's contributions are known."""
        for name in REGISTRY_HOOKS:
            getattr(self, name)
        for spec in TUI_HOOKS:
            self.plugins.collect(spec.hook, spec.fresh(), kind=spec.kind)

    @property
    def warnings(self) -> list[str]:
        return self.plugins.warnings


