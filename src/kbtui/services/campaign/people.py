"""The people register: who works on the campaign (name, role, unit, phone, what they 包).

Stored in ``collection("people")``. Entered one by one (CLI / TUI) or imported from an Excel register.
A person is named by name in commands; two people of the same name are told apart by ``姓名@单位``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain import responsibility as resp
from kbtui.domain.normalize import NormalizeError, normalize_phone, too_long
from kbtui.errors import StaleEditError, StoreError

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

PEOPLE = "people"

# Header synonyms for people registers (kbtui.excel.read_rows ``fields``).
PEOPLE_HEADERS: dict[str, list[str]] = {
    "name": ["姓名", "人员姓名", "名字", "责任人", "责任人姓名", "包保人", "包保责任人"],
    "role": ["职务", "角色", "身份", "职务/身份", "岗位", "职责", "人员类别", "类别"],
    "unit": ["单位", "工作单位", "所在单位", "村（社区）", "村(社区)", "村社区", "村", "学校", "所在村", "所在学校"],
    "phone": ["联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码"],
    "covers": ["包保范围", "负责村组", "包联村组", "包保村组", "负责范围", "包保对象", "包联", "负责班级"],
}


class PeopleError(StoreError):
    """A person that cannot be saved or found; the message is Chinese."""


def _clean(text: Any) -> str:
    return "".join(str(text or "").split())


def _phone(text: Any) -> str:
    raw = str(text or "").strip()
    if not raw:
        return ""
    try:
        return normalize_phone(raw) or raw
    except (NormalizeError, ValueError):
        return raw


def make_person(name: Any, role: Any, unit: Any = "", phone: Any = "", covers: Any = ()) -> dict[str, Any]:
    """A validated person document (without key). Raises PeopleError with a Chinese reason."""
    name_, title = _clean(name), _clean(role)
    if not name_:
        raise PeopleError("姓名不能为空")
    canonical = resp.normalize_role(title)
    if canonical is None:
        raise PeopleError(f"职务“{title or '（空）'}”不认识，可用的有：{'、'.join(resp.ROLES)}")
    doc = {"name": name_, "role": canonical, "unit": _clean(unit), "phone": _phone(phone),
           "covers": resp.split_covers(covers)}
    if title and title != canonical:
        doc["title"] = title
    return doc


def list_people(workspace: Workspace, role: str | None = None, unit: str | None = None) -> list[dict[str, Any]]:
    """The register, optionally one role (a title such as 村支书 counts as its role) or one unit; a role
    or unit nobody has is refused (PeopleError listing the valid ones), not answered with nobody."""
    people = workspace.store.collection(PEOPLE).all()
    units = sorted({p.get("unit") or "" for p in people} - {""})
    if role:
        wanted = resp.normalize_role(role)
        if wanted is None:
            raise PeopleError(f"职务“{role}”不认识，可用的有：{'、'.join(resp.ROLES)}")
        people = [p for p in people if p.get("role") == wanted]
    if unit:
        if unit not in units:
            raise PeopleError(f"人员名单中没有单位为“{unit}”的人，现有：{'、'.join(units) or '（无）'}")
        people = [p for p in people if p.get("unit") == unit]
    return sorted(people, key=lambda p: (resp.line_of(p.get("role")) or "z", p.get("unit") or "",
                                         resp.ROLES.index(p["role"]) if p.get("role") in resp.ROLES else 99,
                                         p.get("name") or ""))


def find_person(workspace: Workspace, text: str) -> dict[str, Any]:
    """A person by key, by ``姓名@单位`` or by a name that only one person has."""
    text = _clean(text)
    coll = workspace.store.collection(PEOPLE)
    by_key = coll.get(text)
    if by_key:
        return by_key
    name, _, unit = text.partition("@")
    hits = [p for p in coll.all() if p.get("name") == name and (not unit or p.get("unit") == unit)]
    if not hits:
        raise PeopleError(f"人员名单中没有“{text}”，请先用 kbtui people add 登记")
    if len(hits) > 1:
        options = "、".join(f"{p['name']}@{p.get('unit') or ''}" for p in hits)
        raise PeopleError(f"有{len(hits)}人叫“{name}”，请写成 姓名@单位：{options}")
    return hits[0]


def add_person(workspace: Workspace, name: Any, role: Any, unit: Any = "", phone: Any = "", covers: Any = ()) -> dict:
    doc = make_person(name, role, unit, phone, covers)
    coll = workspace.store.collection(PEOPLE)
    if any(p.get("name") == doc["name"] and p.get("unit") == doc["unit"] for p in coll.all()):
        raise PeopleError(f"{doc['name']}（{doc['unit'] or '无单位'}）已在人员名单中")
    return coll.insert(doc, workspace.operator)


def update_person(workspace: Workspace, key: str, changes: dict[str, Any]) -> dict:
    coll = workspace.store.collection(PEOPLE)
    current = coll.get(key)
    if current is None:
        raise PeopleError("人员已被删除或不存在")

    def person(now: dict) -> dict[str, Any]:
        merged = {**now, **changes}
        return make_person(merged.get("name"), merged.get("title") or merged.get("role"), merged.get("unit"),
                           merged.get("phone"), merged.get("covers"))

    # base: a field the operator changes that someone else changed meanwhile refuses the edit
    return coll.update(key, person, workspace.operator, base=current)


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)   # (Excel row number, reason)

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [{"row": r, "reason": m} for r, m in self.rejected]}


def import_people(workspace: Workspace, path: str | Path, sheet: str | int | None = None) -> ImportResult:
    """Import a people register (Excel/CSV): a person already listed (same name and unit) is updated."""
    from kbtui.excel.errors import ExcelReadError  # heavy: imported where used
    from kbtui.excel.reader import read_rows  # heavy: imported where used

    try:
        table = read_rows(path, sheet=sheet, fields=PEOPLE_HEADERS, required=["name", "role"])
    except ExcelReadError as err:
        raise PeopleError(str(err)) from None
    return import_rows(workspace, ((row.number, row.values) for row in table.rows))


def import_rows(workspace: Workspace, rows: Iterable[tuple[int, dict[str, Any]]]) -> ImportResult:
    result = ImportResult()
    coll = workspace.store.collection(PEOPLE)
    existing = {(p.get("name"), p.get("unit")): p for p in coll.all()}
    new_docs: list[dict] = []
    seen: set[tuple] = set()
    for number, values in rows:
        problem = too_long(values, {key: names[0] for key, names in PEOPLE_HEADERS.items()})
        if problem:
            result.rejected.append((number, problem))
            continue
        try:
            doc = make_person(values.get("name"), values.get("role"), values.get("unit"), values.get("phone"),
                              values.get("covers"))
        except PeopleError as err:
            result.rejected.append((number, str(err)))
            continue
        key = (doc["name"], doc["unit"])
        if key in seen:
            result.rejected.append((number, f"{doc['name']}（{doc['unit']}）在本表中重复出现"))
            continue
        seen.add(key)
        old = existing.get(key)
        if old is None:
            new_docs.append(doc)
            continue
        changes = {k: v for k, v in doc.items() if old.get(k) != v}
        if not changes:
            result.unchanged += 1
            continue
        try:
            # base: a field someone else changed since the register was read is not overwritten (row refused)
            coll.update(old["key"], changes, workspace.operator, base=old)
        except StaleEditError:
            result.rejected.append((number,
                                    f"{doc['name']}（{doc['unit']}）刚被其他操作员修改，本行未导入，请核对后重新导入"))
            continue
        result.updated += 1
    coll.insert_many(new_docs, workspace.operator)
    result.added = len(new_docs)
    return result


def person_label(person: dict[str, Any]) -> str:
    unit = f"（{person['unit']}）" if person.get("unit") else ""
    return f"{person.get('name')}{unit}{person.get('role') or ''}"
