"""Operators, roles and scope: who may see and change which children.

- ``<data>/operators.toml`` maps an OS user name (the SSH login) to a display name, a role
  (``domain.roles``) and a scope (villages or schools). ``resolve_operator`` decides who is working:
  the OS login by default; ``--operator X`` only for root or a configured 镇管理员 (admins and tests).
- ``ScopedStore`` wraps a ``ChildStore`` with the same API: reads are filtered to the operator's scope,
  writes outside it (or by a read-only role) raise ``AccessDenied`` with a Chinese message, and bulk
  writes skip out-of-scope rows, listing them in ``store.rejected`` with the reason.
- Lists: ``can_see_full(workspace)`` / ``list_record(workspace, record)`` / ``mask_record(record)``.
- Exports: ``export_file(workspace, what, path, write)`` around writing any file of children's data
  (``export_properties(workspace, what)`` for ``write_form(properties=…)``, 0600, then
  ``record_export(workspace, what, path, rows)`` for the journal); ``mask_row`` / ``export_record`` mask
  ID and phone numbers for roles that may not see them in exports.
- Imports: ``reject_out_of_scope(workspace, checked)`` moves rows outside the scope to the rejects.
"""
from __future__ import annotations

import datetime as dt
import os
import pwd
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import tomli_w

from kbtui.domain import masking
from kbtui.domain import roles as R
from kbtui.store import ChildStore, StoreError
from kbtui.store.journal import make_entry
from kbtui.store.storage import atomic_write, locked, make_lock

OPERATORS_FILE = "operators.toml"
CHILD_REF = "id_number"          # collection documents about a child carry its ID number
PEOPLE_COLLECTION = "people"

Record = dict[str, Any]


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

    @property
    def role_info(self) -> R.Role:
        return R.ROLES[self.role]

    def scope_text(self) -> str:
        """全镇 / 高峰村、金星村 / 双山小学 — for messages, the journal and exported workbooks."""
        scope = self.role_info.scope
        if scope == R.VILLAGES:
            return "、".join(self.villages) or "（未指定村）"
        if scope == R.SCHOOLS:
            return "、".join(self.schools) or "（未指定学校）"
        return "全镇"

    def label(self) -> str:
        return f"{self.name}（{self.login}，{self.role}）" if self.name != self.login else f"{self.login}（{self.role}）"

    def as_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"name": self.name, "role": self.role}
        if self.villages:
            doc["villages"] = list(self.villages)
        if self.schools:
            doc["schools"] = list(self.schools)
        return doc

    def as_dict(self) -> dict[str, Any]:
        return {"login": self.login, **self.as_doc(), "scope": self.scope_text()}


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.replace("，", ",").replace("、", ",").split(",")
    return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))


def make_operator(login: str, name: str | None, role: str, villages: Iterable[str] | str | None = None,
                  schools: Iterable[str] | str | None = None) -> Operator:
    """A validated operator; raises OperatorsError with a Chinese reason."""
    login = str(login or "").strip()
    if not login or any(c.isspace() for c in login) or "/" in login:
        raise OperatorsError(f"系统用户名“{login}”不合法（不能为空，不能含空格或 /）")
    info = R.get_role(role)
    if info is None:
        raise OperatorsError(f"角色“{role}”不认识，可用的角色有：{'、'.join(R.ROLES)}")
    villages_, schools_ = _names(villages), _names(schools)
    if info.scope == R.VILLAGES and not villages_:
        raise OperatorsError(f"{info.name}须指定所管的村（社区），如 --village 高峰村")
    if info.scope == R.SCHOOLS and not schools_:
        raise OperatorsError(f"{info.name}须指定所在学校，如 --school 双山小学")
    if info.scope != R.VILLAGES:
        villages_ = ()
    if info.scope != R.SCHOOLS:
        schools_ = ()
    return Operator(login, str(name or "").strip() or login, info.name, villages_, schools_)


# --------------------------------------------------------------------------- operators.toml

def operators_path(root: Path) -> Path:
    return Path(root) / OPERATORS_FILE


def load_operators(root: Path) -> dict[str, Operator]:
    """Every configured operator by login. Raises OperatorsError if the file is unsafe or malformed."""
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
                                         doc.get("schools"))
        except OperatorsError as err:
            raise OperatorsError(f"操作员配置 {path} 中“{login}”有误：{err}") from None
    return found


_HEADER = ("# kbtui 操作员：系统用户名（SSH 登录名）→ 姓名、角色、范围。\n"
           f"# 角色：{'、'.join(R.ROLES)}。村干部写 villages，学校写 schools。\n"
           "# 请用 kbtui operators add / remove 或界面中的“操作员”修改。\n\n")


def save_operators(root: Path, operators: dict[str, Operator]) -> None:
    body = tomli_w.dumps({"operators": {login: op.as_doc() for login, op in sorted(operators.items())}})
    atomic_write(operators_path(root), (_HEADER + body).encode("utf-8"))


def write_initial_operators(root: Path, creators: Iterable[str]) -> None:
    """A fresh data folder: its creator(s) become 镇管理员."""
    ops = {login: Operator(login, login, R.TOWN_ADMIN) for login in dict.fromkeys(creators) if login}
    save_operators(root, ops)


def resolve_operator(root: Path, requested: str | None, meta: dict | None = None) -> Operator:
    """Who is working in this data folder. Raises AccessDenied (Chinese) when nobody may.

    - the OS login by default; ``requested`` (``--operator``) different from it only when the OS login is
      root or a configured 镇管理员;
    - the operator must be listed in operators.toml;
    - a data folder made before operators existed gets operators.toml on first opening by its owner
      (who can read every file anyway): the creator and the owner become 镇管理员.
    """
    root = Path(root)
    login = os_login()
    requested = (requested or "").strip() or login
    operators = load_operators(root)
    if not operators_path(root).exists():
        if is_root() or root.stat().st_uid == os.getuid():
            creators = [(meta or {}).get("created_by") or login, login]
            write_initial_operators(root, creators)
            operators = load_operators(root)
        else:
            raise AccessDenied(f"数据目录 {root} 还没有操作员配置（{OPERATORS_FILE}），请由数据目录的所有者先打开一次")
    if requested != login:
        admin = operators.get(login)
        if not is_root() and (admin is None or not admin.role_info.may(R.ADMIN)):
            raise AccessDenied(f"系统用户“{login}”不能以操作员“{requested}”的身份使用本系统："
                               f"--operator 只供镇管理员（和测试）使用")
    operator = operators.get(requested)
    if operator is None:
        raise AccessDenied(f"系统用户“{requested}”不是本数据目录的操作员，不能查看或修改任何数据。"
                           f"请联系镇管理员执行：kbtui operators add {requested} --role 角色")
    return operator


# --------------------------------------------------------------------------- scope

class Scope:
    """Decides whether a child record is within an operator's scope."""

    def __init__(self, operator: Operator, people: Callable[[], list[dict]] | None = None):
        self.operator = operator
        self.role = operator.role_info
        self.kind = self.role.scope
        self.villages = frozenset(operator.villages)
        self.schools = frozenset(operator.schools)
        self._people = people
        self._teachers: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.kind == R.ALL

    def teachers(self) -> frozenset[str]:
        """Names (and 姓名@单位) of the people register's members working at the operator's schools."""
        if self._teachers is None:
            names: set[str] = set()
            for person in (self._people() if self._people else []):
                if person.get("unit") in self.schools and person.get("name"):
                    names.add(person["name"])
                    names.add(f"{person['name']}@{person['unit']}")
            self._teachers = frozenset(names)
        return self._teachers

    def reset(self) -> None:
        self._teachers = None

    def allows(self, record: Record | None) -> bool:
        if record is None:
            return False
        if self.kind == R.ALL:
            return True
        if self.kind == R.VILLAGES:
            return (record.get("village") or "") in self.villages
        if (record.get("school") or "") in self.schools:
            return True
        teacher = record.get("responsible_edu")
        return bool(teacher) and teacher in self.teachers()

    def why_not(self, record: Record) -> str:
        """Why ``record`` is outside the scope (for messages and rejects)."""
        if self.kind == R.VILLAGES:
            village = record.get("village") or "（未填写）"
            return f"村（社区）为“{village}”，不在您的管辖范围（{self.operator.scope_text()}）内"
        school = record.get("school") or "（未填写）"
        return (f"就读学校为“{school}”且不由本校教师包保，不在您的管辖范围（{self.operator.scope_text()}）内")


@dataclass(frozen=True)
class Rejected:
    id_number: str
    reason: str


def _who(record: Record | None, id_number: str) -> str:
    name = (record or {}).get("name")
    return f"{name}（{id_number}）" if name else f"身份证号 {id_number}"


class ScopedStore:
    """A ChildStore seen through an operator's role and scope (same API as ChildStore).

    ``raw`` is the unscoped store (admin-only code such as backups). The journal is shared as is:
    use ``services.audit`` to read it with the operator's scope.
    """

    def __init__(self, raw: ChildStore, operator: Operator):
        self.raw = raw
        self.operator = operator
        self.role = operator.role_info
        self.scope = Scope(operator, lambda: raw.collection(PEOPLE_COLLECTION).all())
        self.rejected: list[Rejected] = []       # out-of-scope rows of the last bulk write
        self._collections: dict[str, ScopedCollection] = {}

    # -- plain attributes ------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self.raw.root

    @property
    def journal(self):
        return self.raw.journal

    @property
    def children_dir(self) -> Path:
        return self.raw.children_dir

    # -- reading ---------------------------------------------------------------------------------
    def allows(self, record: Record | None) -> bool:
        return self.scope.allows(record)

    def _visible(self) -> Iterator[Record]:
        if self.scope.everything:
            return self.raw.all()
        self.scope.reset()
        allows = self.scope.allows
        return (r for r in self.raw.all() if allows(r))

    def all(self) -> Iterator[Record]:
        return iter(list(self._visible()))

    def ids(self) -> list[str]:
        if self.scope.everything:
            return self.raw.ids()
        return [r["id_number"] for r in self._visible()]

    def __len__(self) -> int:
        if self.scope.everything:
            return len(self.raw)
        return sum(1 for _ in self._visible())

    def __contains__(self, id_number: object) -> bool:
        return isinstance(id_number, str) and self.get(id_number) is not None

    def get(self, id_number: str) -> Record | None:
        """The child if it exists *and* is within the scope (else None, like a missing record)."""
        record = self.raw.get(id_number)
        return record if record is not None and self.scope.allows(record) else None

    def require(self, id_number: str) -> Record:
        """The child, or AccessDenied / RecordNotFound saying why not (for detail views)."""
        from kbtui.store import RecordNotFound

        record = self.raw.get(id_number)
        if record is None:
            raise RecordNotFound(f"找不到身份证号为 {id_number} 的记录")
        if not self.scope.allows(record):
            raise AccessDenied(f"{_who(None, id_number)} 的儿童{self.scope.why_not(record)}，无权查看")
        return record

    def shard_of(self, id_number: str) -> str | None:
        return self.raw.shard_of(id_number) if self.get(id_number) is not None else None

    def shard_names(self) -> list[str]:
        return self.raw.shard_names()

    def refresh(self) -> bool:
        self.scope.reset()
        return self.raw.refresh()

    # -- checks ----------------------------------------------------------------------------------
    def _may_change(self, fields: Iterable[str]) -> None:
        fields = [f for f in fields if not f.startswith("_")]
        if self.role.may_change(fields):
            return
        if R.REVIEW in self.role.actions:
            raise AccessDenied(f"您的角色（{self.role.name}）只能查看和复核，不能修改"
                               f"{'、'.join(sorted(set(fields) - set(self.role.writable_fields))) or '数据'}")
        raise AccessDenied(f"您的角色（{self.role.name}）只能查看，不能修改数据")

    def _problem(self, id_number: str, changes: Record, *, new: bool) -> str | None:
        """Why this write is outside the scope, or None."""
        if self.scope.everything:
            return None
        current = self.raw.get(id_number)
        if new and current is not None:
            if not self.scope.allows(current):
                return f"该儿童已登记，{self.scope.why_not(current)}"
            return None        # the store itself refuses the duplicate
        if current is not None and not self.scope.allows(current):
            return self.scope.why_not(current)
        after = {**(current or {}), **changes}
        if not self.scope.allows(after):
            return ("修改后" if current is not None else "") + self.scope.why_not(after)
        return None

    # -- writing ---------------------------------------------------------------------------------
    def update(self, id_number: str, changes: dict[str, Any], operator: str | None = None,
               expected_version: int | None = None, action: str = "update",
               detail: dict[str, Any] | None = None) -> Record:
        self._may_change(changes)
        problem = None if self.scope.everything or id_number not in self.raw else \
            self._problem(id_number, changes, new=False)
        if problem:
            raise AccessDenied(f"{_who(self.raw.get(id_number), id_number)}：{problem}，不能修改")
        return self.raw.update(id_number, changes, self.operator.login, expected_version, action, detail)

    def insert(self, record: Record, operator: str | None = None, action: str = "insert",
               detail: dict[str, Any] | None = None) -> Record:
        if not self.role.may(R.WRITE):
            self._may_change(record)
        problem = self._problem(record.get("id_number") or "", record, new=True)
        if problem:
            raise AccessDenied(f"{_who(record, record.get('id_number') or '')}：{problem}，不能录入")
        return self.raw.insert(record, self.operator.login, action, detail)

    def insert_many(self, records: list[Record], operator: str | None = None, action: str = "insert",
                    detail: dict[str, Any] | None = None) -> int:
        """Insert the records within the scope; the others are listed in ``self.rejected``."""
        self.rejected = []
        if not records:
            return 0
        if not self.role.may(R.WRITE):
            raise AccessDenied(f"您的角色（{self.role.name}）只能查看，不能录入或导入儿童")
        if self.scope.everything:
            return self.raw.insert_many(records, self.operator.login, action, detail)
        keep = []
        for record in records:
            problem = self._problem(record.get("id_number") or "", record, new=True)
            if problem:
                self.rejected.append(Rejected(record.get("id_number") or "", problem))
            else:
                keep.append(record)
        return self.raw.insert_many(keep, self.operator.login, action, detail) if keep else 0

    def apply_many(self, updates: list[tuple[str, dict[str, Any]]], operator: str | None = None,
                   action: str = "import", detail: dict[str, Any] | None = None) -> int:
        """Apply the updates within the scope; the others are listed in ``self.rejected``."""
        self.rejected = []
        if not updates:
            return 0
        keep = []
        for id_number, changes in updates:
            self._may_change(changes)
            problem = None if self.scope.everything or id_number not in self.raw else \
                self._problem(id_number, changes, new=False)
            if problem:
                self.rejected.append(Rejected(id_number, problem))
            else:
                keep.append((id_number, changes))
        return self.raw.apply_many(keep, self.operator.login, action, detail) if keep else 0

    # -- collections -----------------------------------------------------------------------------
    def collection(self, name: str) -> "ScopedCollection":
        coll = self._collections.get(name)
        if coll is None:
            coll = self._collections[name] = ScopedCollection(self, self.raw.collection(name))
        return coll


class ScopedCollection:
    """A store collection seen through the scope: documents about a child (``id_number``) are visible
    and writable only when the child is; read-only roles cannot write; the people register (which
    decides the 学校 scope) is written only by roles allowed to (``roles.PEOPLE``)."""

    def __init__(self, store: ScopedStore, raw):
        self.store = store
        self.raw = raw
        self.name = raw.name
        self.path = raw.path

    def _visible(self, doc: Doc | None) -> bool:
        if doc is None:
            return False
        if self.store.scope.everything:
            return True
        ref = doc.get(CHILD_REF)
        if isinstance(ref, str) and ref:
            return self.store.get(ref) is not None
        return True

    def get(self, key: str):
        doc = self.raw.get(key)
        return doc if self._visible(doc) else None

    def all(self) -> list:
        if self.store.scope.everything:
            return self.raw.all()
        self.store.scope.reset()
        return [d for d in self.raw.all() if self._visible(d)]

    def find(self, **equal_fields: Any) -> list:
        return [d for d in self.raw.find(**equal_fields) if self._visible(d)]

    def __len__(self) -> int:
        return len(self.all())

    def _check_write(self, doc: Doc) -> None:
        role = self.store.role
        if not role.may(R.WRITE):
            raise AccessDenied(f"您的角色（{role.name}）只能查看，不能修改“{self.name}”中的记录")
        if self.name == PEOPLE_COLLECTION and not role.may(R.PEOPLE):
            raise AccessDenied(f"您的角色（{role.name}）不能修改人员名单，请联系镇管理员或教育专干")
        ref = doc.get(CHILD_REF)
        if isinstance(ref, str) and ref:
            child = self.store.raw.get(ref)
            if child is not None and not self.store.scope.allows(child):
                raise AccessDenied(f"{_who(child, ref)}：{self.store.scope.why_not(child)}，不能修改")
        elif self.store.scope.kind == R.VILLAGES and doc.get("village"):
            if doc["village"] not in self.store.scope.villages:
                raise AccessDenied(f"“{doc['village']}”不在您的管辖范围（{self.store.operator.scope_text()}）内，"
                                   f"不能修改")

    def insert(self, doc: Doc, operator: str | None = None) -> Doc:
        return self.insert_many([doc], operator)[0]

    def insert_many(self, docs: list[Doc], operator: str | None = None) -> list[Doc]:
        for doc in docs:
            self._check_write(doc)
        return self.raw.insert_many(docs, self.store.operator.login)

    def update(self, key: str, changes: Doc, operator: str | None = None,
               expected_version: int | None = None) -> Doc:
        current = self.raw.get(key)
        if current is not None:
            self._check_write(current)
        self._check_write(changes)
        return self.raw.update(key, changes, self.store.operator.login, expected_version)



Doc = dict[str, Any]


# --------------------------------------------------------------------------- managing operators

def raw_store(workspace) -> ChildStore:
    """The unscoped store of a workspace (admin-only code: backups, the audit journal)."""
    raw = getattr(workspace, "raw_store", None)
    if raw is not None:
        return raw
    store = workspace.store
    return store.raw if isinstance(store, ScopedStore) else store


def _journal_operator_change(workspace, action: str, login: str, changes: dict) -> None:
    actor = operator_of(workspace)
    raw_store(workspace).journal.append([make_entry(actor.login if actor else str(workspace.operator), action,
                                                   None, changes, {"operator": login})])


def known_places(workspace) -> tuple[set[str], set[str]]:
    """Villages and schools an operator's scope may name: the profile's, the demo's extra ones, and
    those of stored children."""
    profile = workspace.profile
    villages = set(profile.villages) | set(workspace.meta.get("extra_villages") or [])
    schools = set(profile.schools)
    for cohort in getattr(profile, "cohorts", {}).values():
        schools |= set(getattr(cohort, "schools", ()) or ())
    for record in raw_store(workspace).all():
        if record.get("village"):
            villages.add(record["village"])
        if record.get("school"):
            schools.add(record["school"])
    return villages, schools


def add_operator(workspace, login: str, name: str | None, role: str, villages: Iterable[str] | str | None = None,
                 schools: Iterable[str] | str | None = None, *, replace: bool = False) -> Operator:
    """Add (or with ``replace`` change) an operator. Only roles with ``roles.ADMIN``; journaled."""
    require(workspace, R.ADMIN, "管理操作员")
    operator = make_operator(login, name, role, villages, schools)
    known_villages, known_schools = known_places(workspace)
    unknown = [v for v in operator.villages if v not in known_villages]
    if unknown:
        raise OperatorsError(f"本乡镇没有“{'、'.join(unknown)}”，可用的村（社区）有：{'、'.join(sorted(known_villages))}")
    unknown = [s for s in operator.schools if s not in known_schools]
    if unknown:
        raise OperatorsError(f"本乡镇没有“{'、'.join(unknown)}”，可用的学校有：{'、'.join(sorted(known_schools))}")
    path = operators_path(workspace.root)
    with locked(make_lock(path), path):
        operators = load_operators(workspace.root)
        old = operators.get(operator.login)
        if old is not None and not replace:
            raise OperatorsError(f"操作员“{operator.login}”已存在（{old.label()}），如需修改请加 --replace")
        if old is not None and old.role_info.may(R.ADMIN) and not operator.role_info.may(R.ADMIN):
            _keep_an_admin(operators, operator.login)
        operators[operator.login] = operator
        save_operators(workspace.root, operators)
    before = old.as_doc() if old else {}
    changes = {k: [before.get(k), v] for k, v in operator.as_doc().items() if before.get(k) != v}
    _journal_operator_change(workspace, "operators.update" if old else "operators.add", operator.login, changes)
    return operator


def _keep_an_admin(operators: dict[str, Operator], leaving: str) -> None:
    if not any(op.role_info.may(R.ADMIN) for login, op in operators.items() if login != leaving):
        raise OperatorsError("不能去掉最后一位镇管理员，请先指定另一位镇管理员")


def remove_operator(workspace, login: str) -> Operator:
    require(workspace, R.ADMIN, "管理操作员")
    path = operators_path(workspace.root)
    with locked(make_lock(path), path):
        operators = load_operators(workspace.root)
        old = operators.get(login)
        if old is None:
            raise OperatorsError(f"没有操作员“{login}”")
        if old.role_info.may(R.ADMIN):
            _keep_an_admin(operators, login)
        del operators[login]
        save_operators(workspace.root, operators)
    _journal_operator_change(workspace, "operators.remove", login, {k: [v, None] for k, v in old.as_doc().items()})
    return old


def list_operators(workspace) -> list[Operator]:
    return sorted(load_operators(workspace.root).values(), key=lambda o: (list(R.ROLES).index(o.role), o.login))


# --------------------------------------------------------------------------- helpers for services

def operator_of(workspace) -> Operator | None:
    return getattr(workspace, "account", None)


def require(workspace, action: str, what: str = "") -> Operator | None:
    """Raise AccessDenied unless the workspace's operator may do ``action`` (``roles.READ`` …)."""
    operator = operator_of(workspace)
    if operator is None:
        if not isinstance(getattr(workspace, "store", None), ScopedStore):
            return None        # put together by code around a raw store (it has every file anyway)
        raise AccessDenied("未确定操作员，拒绝操作")
    if not operator.role_info.may(action):
        doing = what or R.ACTION_LABELS.get(action, action)
        raise AccessDenied(f"您的角色（{operator.role}）不能{doing}")
    return operator


def can_see_full(workspace, record: Record | None = None, purpose: str = "list") -> bool:
    """Full ID and phone numbers? ``purpose`` is "list" (on-screen lists) or "export" (ledgers, reports).

    The detail form of a child in scope always shows them (``ScopedStore.get`` returns the full record).
    """
    operator = operator_of(workspace)
    if operator is None:
        return False
    store = workspace.store
    if record is not None and isinstance(store, ScopedStore) and not store.allows(record):
        return False
    role = operator.role_info
    return role.full_exports if purpose == "export" else role.full_numbers


def mask_record(record: Record) -> Record:
    """A copy of ``record`` with ID, 学籍号, certificate and phone numbers masked (500224********1234)."""
    return masking.mask_record(record)


def list_record(workspace, record: Record, purpose: str = "list") -> Record:
    """``record`` as a list row for this operator: masked unless the role needs full numbers."""
    return record if can_see_full(workspace, purpose=purpose) else masking.mask_record(record)


def list_masker(workspace, purpose: str = "list") -> Callable[[Record], Record] | None:
    """A function masking records for this operator's lists, or None when nothing is masked."""
    return None if can_see_full(workspace, purpose=purpose) else masking.mask_record


def mask_row(workspace, columns: list, values: list, purpose: str = "export") -> list:
    """Mask the cells of an exported row whose column (``column.key``) holds an ID or phone number,
    unless the operator may see them in full. ``columns`` and ``values`` are parallel."""
    if can_see_full(workspace, purpose=purpose):
        return values
    fields = masking.MASKED_FIELDS
    return [fields[key](v) if v and (key := getattr(c, "key", None)) in fields else v
            for c, v in zip(columns, values)]


def export_properties(workspace, what: str, now: dt.datetime | None = None) -> dict[str, str]:
    """Workbook properties recording who exported what scope when (for ``write_form(properties=…)``).

    ``lastModifiedBy`` is the operator's login, ``category`` the scope and ``contentStatus`` (and
    ``description``, which a caller may replace by its own) the whole sentence.
    """
    operator = operator_of(workspace)
    when = (now or dt.datetime.now()).isoformat(timespec="seconds")
    who = operator.label() if operator else str(getattr(workspace, "operator", ""))
    scope = operator.scope_text() if operator else ""
    masked = "" if can_see_full(workspace, purpose="export") else "；身份证号和电话已部分隐藏"
    text = f"导出人：{who}；内容：{what}；范围：{scope}；导出时间：{when}{masked}"
    return {
        "subject": what,
        "lastModifiedBy": operator.login if operator else who,
        "category": f"范围：{scope}",
        "contentStatus": text,
        "description": text,
        "keywords": f"kbtui 导出 {what} {scope}",
    }


def record_export(workspace, what: str, path: Path | str | None = None, rows: int | None = None,
                  detail: dict[str, Any] | None = None) -> dict:
    """Journal an export (action "export"): who, what, which scope, which file, how many rows."""
    operator = operator_of(workspace)
    info = {"what": what, "scope": operator.scope_text() if operator else "", "role": operator.role if operator else "",
            "file": str(path) if path is not None else None, "rows": rows,
            "masked": not can_see_full(workspace, purpose="export"),
            **(detail or {})}
    login = operator.login if operator else str(workspace.operator)
    return raw_store(workspace).journal.append([make_entry(login, "export", None, {}, info)])[0]


def export_file(workspace, what: str, path: Path | str, write: Callable[[dict[str, str]], int], *,
                properties: dict[str, str] | None = None, detail: dict[str, Any] | None = None) -> int:
    """The steps every export of children's data takes around writing its file.

    The role must be allowed to export; ``write(props)`` writes ``path`` (atomically, e.g. through
    ``write_form(properties=props)``) with the workbook properties saying who exported what scope when
    (``export_properties``, then ``properties`` over them) and returns the number of rows; the file is then
    made private (0600) and the export journaled (``record_export``). Returns the rows. Masking is the
    writer's job (``mask_row`` / ``export_record``), since only it knows its columns.
    """
    require(workspace, R.EXPORT, "导出")
    rows = write({**export_properties(workspace, what), **(properties or {})})
    try:
        Path(path).chmod(0o600)
    except OSError:
        pass
    record_export(workspace, what, path, rows, detail)
    return rows


def export_record(workspace, record: Record) -> Record:
    """``record`` as an exported file may show it: ID and phone numbers masked unless the role may see them."""
    return list_record(workspace, record, purpose="export")


def row_problem(workspace, id_number: str, values: Record) -> str | None:
    """Why an imported row is outside the operator's scope (the rejects' reason), or None."""
    store = workspace.store
    if not isinstance(store, ScopedStore) or store.scope.everything:
        return None
    problem = store._problem(id_number, values, new=store.raw.get(id_number) is None)
    return f"{problem}，不能由您导入" if problem else None


def reject_out_of_scope(workspace, checked) -> int:
    """For an import being prepared (``services.importer``): move rows outside the scope to the rejects.

    ``checked`` has ``good`` [(id, values, row number)], ``rejects`` [(Row, reason)], ``issues``,
    ``rejected``, ``warned`` and ``table.rows``. Raises AccessDenied when the role may not import.
    Returns the number of rows moved.
    """
    require(workspace, R.IMPORT, "导入名单")
    store = workspace.store
    if not isinstance(store, ScopedStore) or store.scope.everything:
        return 0
    store.scope.reset()
    rows = {row.number: row for row in checked.table.rows}
    keep, dropped = [], {}
    for item in checked.good:
        id_number, values, number = item
        problem = row_problem(workspace, id_number, values)
        if problem:
            dropped[number] = problem
        else:
            keep.append(item)
    if not dropped:
        return 0
    warned = {row.number for row, _why in checked.rejects}
    checked.rejects[:] = [(row, why) for row, why in checked.rejects if row.number not in dropped]
    checked.warned -= len(warned & set(dropped))
    from kbtui.services.importer import Issue

    for number, problem in dropped.items():
        checked.rejects.append((rows[number], "未导入：" + problem))
        checked.issues.append(Issue(number, "", problem, False))
    checked.rejected += len(dropped)
    checked.good[:] = keep
    return len(dropped)


__all__ = [
    "AccessDenied", "Operator", "OperatorsError", "Rejected", "Scope", "ScopedCollection", "ScopedStore",
    "add_operator", "can_see_full", "export_file", "export_properties", "export_record", "list_masker",
    "list_operators", "list_record", "load_operators", "make_operator", "mask_record", "mask_row", "os_login",
    "raw_store", "record_export", "reject_out_of_scope", "remove_operator", "require", "resolve_operator",
    "row_problem", "save_operators", "write_initial_operators",
]
