"""Who is working: operators and ``<data>/operators.toml``.

The file maps an OS user name (the SSH login) to a display name, a role (``domain.roles``) and a scope
(villages or schools). ``resolve_operator`` decides who is working: the OS login by default;
``--operator X`` only for root or a configured 镇管理员 (admins and tests). Adding and removing operators
is ``services.access.operator_admin``; applying an operator's scope to the data is ``services.access.scope``.

``AccessDenied`` and ``OperatorsError`` live here, at the bottom of the access modules
(operators → scope → gate → operator_admin, access), so every one of them can import them without a cycle.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from kbtui.domain import roles as R
from kbtui.errors import StoreError
from kbtui.store.journal import make_entry
from kbtui.store.storage import atomic_write

OPERATORS_FILE = "operators.toml"


class AccessDenied(StoreError):
    """The operator may not do this (message in Chinese, says why)."""


class OperatorsError(StoreError):
    """operators.toml cannot be read or the change to it is invalid (message in Chinese)."""


# --------------------------------------------------------------------------- identity

def os_login() -> str:
    """The OS user running kbtui, from the real uid (not from $USER, which anyone can set).

    Run through ``sudo -u <service account> kbtui`` (the shared-server set-up), the operator is the user
    who called sudo (``SUDO_USER``), since every operator then runs as the one account owning the data.
    """
    uid = os.getuid()
    sudo_user, sudo_uid = os.environ.get("SUDO_USER"), os.environ.get("SUDO_UID")
    if uid != 0 and sudo_user and sudo_uid and sudo_uid.isdigit() and int(sudo_uid) != uid:
        return sudo_user
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:   # no passwd entry (some containers)
        return os.environ.get("USER") or f"uid{uid}"


def is_root() -> bool:
    return os.getuid() == 0


@dataclass(frozen=True)
class Operator:
    login: str
    name: str
    role: str
    villages: tuple[str, ...] = ()
    schools: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()      # a district's operator limited to these towns (镇/乡/街道)
    district: bool = field(default=False, compare=False)   # working in a district profile (set on opening)

    @property
    def role_info(self) -> R.Role:
        return R.ROLES[self.role]

    def scope_text(self) -> str:
        """全镇 / 高峰村、金星村 / 双山小学 — for messages, the journal and exported workbooks; in a district
        全区 / 城头镇 / 城头镇 东村."""
        scope = self.role_info.scope
        town = "、".join(self.towns)
        if self.role in R.DISTRICT_ROLES:
            return "全区"
        if scope == R.VILLAGES:
            inner = "、".join(self.villages) or "（未指定村）"
        elif scope == R.SCHOOLS:
            inner = "、".join(self.schools) or "（未指定学校）"
        else:
            return town or ("全区" if self.district or self.role in R.DISTRICT_ROLES else "全镇")
        return f"{town} {inner}" if town else inner

    def label(self) -> str:
        if self.name != self.login:
            return f"{self.name}（{self.login}，{self.role}）"
        return f"{self.login}（{self.role}）"

    def as_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "role": self.role}
        if self.villages:
            doc["villages"] = list(self.villages)
        if self.schools:
            doc["schools"] = list(self.schools)
        if self.towns:
            doc["towns"] = list(self.towns)
        return doc

    def as_dict(self) -> dict[str, Any]:
        return {"login": self.login, **self.as_doc(), "scope": self.scope_text()}


def name_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.replace("，", ",").replace("、", ",").split(",")
    return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))


def make_operator(login: str, name: str | None, role: str, villages: Iterable[str] | str | None = None,
                  schools: Iterable[str] | str | None = None, towns: Iterable[str] | str | None = None, *,
                  district: bool = False) -> Operator:
    """A validated operator (``district``: of a district profile); raises OperatorsError with a Chinese reason."""
    login = str(login or "").strip()
    if not login or any(c.isspace() for c in login) or "/" in login:
        raise OperatorsError(f"系统用户名“{login}”不合法（不能为空，不能含空格或 /）")
    info = R.get_role(role)
    if info is None:
        raise OperatorsError(f"角色“{role}”不认识，可用的角色有：{'、'.join(R.ROLES)}")
    villages_, schools_ = name_list(villages), name_list(schools)
    if info.scope == R.VILLAGES and not villages_:
        raise OperatorsError(f"{info.name}须指定所管的村（社区），如 --village 高峰村")
    if info.scope == R.SCHOOLS and not schools_:
        raise OperatorsError(f"{info.name}须指定所在学校，如 --school 双山小学")
    if info.scope != R.VILLAGES:
        villages_ = ()
    if info.scope != R.SCHOOLS:
        schools_ = ()
    towns_ = name_list(towns)
    if towns_ and info.name in R.DISTRICT_ROLES:
        raise OperatorsError(f"{info.name}管全区，不能指定所管乡镇（去掉 towns / --town）")
    return Operator(login, str(name or "").strip() or login, info.name, villages_, schools_, towns_, district)


# --------------------------------------------------------------------------- operators.toml

def operators_path(root: Path) -> Path:
    return Path(root) / OPERATORS_FILE


def load_operators(root: Path, *, district: bool = False) -> dict[str, Operator]:
    """Every configured operator by login (``district``: of a district profile, their scopes read 全区, not
    全镇). Raises OperatorsError if the file is unsafe or malformed."""
    path = operators_path(root)
    try:
        mode = path.stat().st_mode
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise OperatorsError(f"无法读取操作员配置 {path}：{err.strerror or err}") from err
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise OperatorsError(f"操作员配置 {path} 可被其他用户修改，为保护儿童信息已拒绝打开。"
                             f"请执行 chmod 600 {path} 后重试")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise OperatorsError(f"操作员配置 {path} 格式有误：{err}") from err
    section = data.get("operators", {})
    if not isinstance(section, dict):
        raise OperatorsError(f"操作员配置 {path} 格式有误：[operators] 应为表")
    found: dict[str, Operator] = {}
    for login, doc in section.items():
        if not isinstance(doc, dict):
            raise OperatorsError(f"操作员配置 {path} 中“{login}”的写法有误")
        try:
            found[login] = make_operator(login, doc.get("name"), doc.get("role", ""), doc.get("villages"),
                                         doc.get("schools"), doc.get("towns"), district=district)
        except OperatorsError as err:
            raise OperatorsError(f"操作员配置 {path} 中“{login}”有误：{err}") from None
    return found


_HEADER = ("# kbtui 操作员：系统用户名（SSH 登录名）→ 姓名、角色、范围。\n"
           f"# 角色：{'、'.join(R.ROLES)}。村干部写 villages，学校写 schools。\n"
           "# 请用 kbtui operators add / remove 或界面中的“操作员”修改。\n\n")


def save_operators(root: Path, operators: dict[str, Operator]) -> None:
    body = tomli_w.dumps({"operators": {login: op.as_doc() for login, op in sorted(operators.items())}})
    atomic_write(operators_path(root), (_HEADER + body).encode("utf-8"))


# --------------------------------------------------------------------------- the file's digest in the journal
#
# operators.toml says who may do what, and anyone who can write it could make themselves 镇管理员. Every
# change kbtui makes to it is journaled with the digest of the file before and after (``journal_change``,
# under the file's lock), so that ``audit verify`` notices a file that differs from the last digest
# recorded, and a change made by hand in between two of kbtui's (the one after would otherwise hide it).

DIGEST_KEY = "operators_digest"
BEFORE_KEY = "operators_before"
FOLDER_KEY = "data_folder"      # which data folder's operators.toml (a district database serves several)
META_FILE = "meta.json"         # the data folder's own settings (services.workspace)
FOLDER_ID = "folder_id"         # meta.json: a data folder on a database, named in its operators entries


def folder_id(root: Path) -> str | None:
    """The id of a data folder whose data live in a database (None for a folder with its own store)."""
    try:
        value = json.loads((Path(root) / META_FILE).read_bytes()).get(FOLDER_ID)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def operators_digest(root: Path) -> str | None:
    """SHA-256 of operators.toml as it is (None when there is none)."""
    try:
        return hashlib.sha256(operators_path(root).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def journal_change(journal: Any, actor: str, action: str, login: str, changes: dict, root: Path,
                   before: str | None) -> None:
    """Journal a change of operator ``login`` (``operators.add/update/remove``) with the file's digest
    ``before`` it (as read under the lock) and as now written. Call it holding operators.toml's lock, right
    after the write."""
    detail = {"operator": login, BEFORE_KEY: before, DIGEST_KEY: operators_digest(root)}
    folder = folder_id(root)
    if folder:
        detail[FOLDER_KEY] = folder
    journal.append([make_entry(actor, action, None, changes, detail)])


def write_initial_operators(root: Path, creators: Iterable[str], role: str = R.TOWN_ADMIN,
                            towns: Iterable[str] = ()) -> None:
    """A fresh data folder: its creator(s) become 镇管理员 (区县管理员 for a district profile; the 镇管理员
    of ``towns`` when the folder's database login is limited to those towns)."""
    ops = {login: Operator(login, login, role, towns=tuple(towns)) for login in dict.fromkeys(creators) if login}
    save_operators(root, ops)


def journal_initial_operators(journal: Any, actor: str, root: Path) -> None:
    """The first operators of a new data folder, journaled like any later change (with the digest)."""
    before = None                       # (the file is new)
    for login, op in load_operators(root).items():
        journal_change(journal, actor, "operators.add", login, {k: [None, v] for k, v in op.as_doc().items()},
                       root, before)
        before = operators_digest(root)


def resolve_operator(root: Path, requested: str | None, meta: dict | None = None, *,
                     district: bool = False) -> Operator:
    """Who is working in this data folder. Raises AccessDenied (Chinese) when nobody may. ``district``:
    the folder's profile is a district's (scopes then read 全区, not 全镇).

    - the OS login by default; ``requested`` (``--operator``) different from it only when the OS login is
      root or a configured 镇管理员;
    - the operator must be listed in operators.toml;
    - a data folder made before operators existed gets operators.toml on first opening by its owner
      (who can read every file anyway): the creator and the owner become 镇管理员.
    """
    root = Path(root)
    login = os_login()
    requested = (requested or "").strip() or login
    operators = load_operators(root, district=district)
    if not operators_path(root).exists():
        if is_root() or root.stat().st_uid == os.getuid():
            creators = [(meta or {}).get("created_by") or login, login]
            write_initial_operators(root, creators)
            operators = load_operators(root, district=district)
        else:
            raise AccessDenied(f"数据目录 {root} 还没有操作员配置（{OPERATORS_FILE}），请由数据目录的所有者先打开一次")
    admin = operators.get(login)
    if requested != login:
        if not is_root() and (admin is None or not admin.role_info.may(R.ADMIN)):
            raise AccessDenied(f"系统用户“{login}”不能以操作员“{requested}”的身份使用本系统："
                               f"--operator 只供镇管理员（和测试）使用")
    operator = operators.get(requested)
    if operator is None:
        raise AccessDenied(f"系统用户“{requested}”不是本数据目录的操作员，不能查看或修改任何数据。"
                           f"请联系镇管理员执行：kbtui operators add {requested} --role 角色")
    if requested != login and not is_root() and admin is not None and not within_towns(admin, operator):
        raise AccessDenied(f"系统用户“{login}”（{admin.scope_text()}）不能以操作员“{requested}”"
                           f"（{operator.scope_text()}）的身份使用本系统：超出您所管的乡镇")
    return operator


def within_towns(admin: Operator, other: Operator) -> bool:
    """May ``admin`` act for ``other`` (``--operator``, operators.toml changes)? An admin limited to towns
    only for operators limited to some of those towns."""
    if not admin.towns:
        return True
    return bool(other.towns) and set(other.towns) <= set(admin.towns) and other.role not in R.DISTRICT_ROLES


def district_scope_problem(operator: Operator, towns: list[str] | None) -> str | None:
    """Why ``operator`` cannot work on this profile (``towns``: a district's towns, None for a township)."""
    if towns is None:
        if operator.towns:
            return (f"操作员“{operator.login}”指定了所管乡镇（{'、'.join(operator.towns)}），但本数据目录是乡镇配置，"
                    f"不分乡镇：请镇管理员在 {OPERATORS_FILE} 中去掉 towns")
        return None
    unknown = [t for t in operator.towns if t not in towns]
    if unknown:
        return (f"操作员“{operator.login}”所管的乡镇“{'、'.join(unknown)}”不在本区的乡镇（街道）中："
                f"{'、'.join(towns)}")
    if operator.role in R.TOWN_ROLES and not operator.towns:
        return (f"操作员“{operator.login}”的角色是{operator.role}，区县数据中须指定所管乡镇（街道），"
                f"请区县管理员执行：kbtui operators add {operator.login} --role {operator.role} --town 乡镇 --replace")
    return None

