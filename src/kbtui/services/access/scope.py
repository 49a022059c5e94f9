"""An operator's scope applied to the data: which children they see and may change.

``ScopedStore`` wraps a ``ChildStore`` with the same API: reads are filtered to the operator's scope,
writes outside it (or by a read-only role) raise ``AccessDenied`` with a Chinese message, and bulk writes
skip out-of-scope rows, listing them in ``store.rejected`` (``Rejected``) with the reason.
``ScopedCollection`` does the same for the store's other collections; ``Scope`` is the test itself.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbtui.domain import roles as R
from kbtui.errors import RecordNotFound
from kbtui.services.access.operators import AccessDenied, Operator
from kbtui.store import ChildStore, edits
from kbtui.store.storage import file_signature

CHILD_REF = "id_number"          # collection documents about a child carry its ID number
PEOPLE_COLLECTION = "people"

Record = dict[str, Any]
Doc = dict[str, Any]


class Scope:
    """Decides whether a child record is within an operator's scope."""

    def __init__(self, operator: Operator, people: Callable[[], list[dict]] | None = None):
        self.operator = operator
        self.role = operator.role_info
        self.kind = self.role.scope
        self.villages = frozenset(operator.villages)
        self.schools = frozenset(operator.schools)
        self.towns = frozenset(operator.towns)      # a district's town staff: only these towns
        self._people = people
        self._teachers: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.kind == R.ALL and not self.towns

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
        if self.towns and (record.get("town") or "") not in self.towns:
            return False
        if self.kind == R.ALL:
            return True
        if self.kind == R.VILLAGES:
            return (record.get("village") or "") in self.villages
        if (record.get("school") or "") in self.schools:
            return True
        teacher = record.get("responsible_edu")
        return bool(teacher) and teacher in self.teachers()

    def outside(self) -> str:
        """Why a stored child the operator cannot see is refused: only that it is outside their scope (its
        name, village or school would tell them about a child that is none of their business)."""
        return f"该儿童不在您的管辖范围（{self.operator.scope_text()}）内"

    def why_not(self, record: Record) -> str:
        """Why ``record`` — the operator's own row or change, never a stored child outside the scope (see
        ``outside``) — is outside the scope (for messages and rejects)."""
        if self.towns and (record.get("town") or "") not in self.towns:
            town = record.get("town") or "（未填写）"
            return f"乡镇（街道）为“{town}”，不在您的管辖范围（{self.operator.scope_text()}）内"
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
    use ``services.access.audit`` to read it with the operator's scope.
    """

    def __init__(self, raw: ChildStore, operator: Operator):
        self.raw = raw
        self.operator = operator
        self.role = operator.role_info
        self.scope = Scope(operator, lambda: raw.collection(PEOPLE_COLLECTION).all())
        self.rejected: list[Rejected] = []       # out-of-scope rows of the last bulk write
        self._collections: dict[str, ScopedCollection] = {}
        self._narrow_database()

    def _narrow_database(self) -> None:
        """A store in a database (``PgStore.narrow``) applies the scope too (row-level security), so that a
        bug reading ``raw`` cannot reach beyond it; the checks here stay (the second line of defence)."""
        narrow = getattr(self.raw, "narrow", None)
        if narrow is None:
            return
        towns = tuple(self.scope.towns) if self.scope.towns else None    # a district's town staff
        if self.scope.kind == R.ALL:
            narrow(towns=towns)
        elif self.scope.kind == R.VILLAGES:
            narrow(villages=tuple(self.scope.villages), towns=towns)
        else:
            narrow(schools=tuple(self.scope.schools), teachers=tuple(self.scope.teachers()), towns=towns)

    # -- plain attributes ------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self.raw.root

    @property
    def journal(self):
        return self.raw.journal

    @property
    def loaded(self) -> bool:
        return self.raw.loaded

    @property
    def children_dir(self) -> Path:
        return self.raw.children_dir

    @property
    def read_only(self) -> bool:
        return self.raw.read_only

    # -- reading ---------------------------------------------------------------------------------
    def allows(self, record: Record | None) -> bool:
        return self.scope.allows(record)

    def _visible(self) -> Iterator[Record]:
        if self.scope.everything:
            return self.raw.all()
        self.scope.reset()
        allows = self.scope.allows
        # a village scope's children are all in its villages' files: a lazy store reads only those
        records = self.raw.in_villages(self.scope.villages) if self.scope.kind == R.VILLAGES else self.raw.all()
        return (r for r in records if allows(r))

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
        record = self.raw.get(id_number)
        if record is None:
            raise RecordNotFound(f"找不到身份证号为 {id_number} 的记录")
        if not self.scope.allows(record):
            raise AccessDenied(f"身份证号 {id_number}：{self.scope.outside()}，无权查看")
        return record

    def shard_of(self, id_number: str) -> str | None:
        return self.raw.shard_of(id_number) if self.get(id_number) is not None else None

    def shard_names(self) -> list[str]:
        return self.raw.shard_names()

    def shard_signatures(self) -> dict[str, tuple]:
        return self.raw.shard_signatures()

    def shard_file_signatures(self) -> dict[str, tuple]:
        return self.raw.shard_file_signatures()

    def shard_records(self, name: str) -> tuple[list[Record], bool]:
        """The records of one village file within the scope (``ChildStore.shard_records``)."""
        records, whole = self.raw.shard_records(name)
        if self.scope.everything:
            return records, whole
        allows = self.scope.allows
        return [r for r in records if allows(r)], whole

    def data_version(self) -> tuple:
        return self.raw.data_version()

    def scope_key(self) -> tuple:
        """What decides which children the scope lets through, besides a child's own record: the kind,
        the villages or schools, a district's towns, and for a school scope the people register (its
        teachers)."""
        scope = self.scope
        key: tuple = (scope.kind, sorted(scope.villages), sorted(scope.schools))
        if scope.towns:             # (a township's keys stay as they were: its kept counts stay good)
            key += (("towns", sorted(scope.towns)),)
        if scope.kind not in (R.ALL, R.VILLAGES):
            key += (file_signature(self.raw.collection(PEOPLE_COLLECTION).path),)
        return key

    def refresh(self) -> bool:
        self.scope.reset()
        self._narrow_database()         # the people register may have changed who teaches at the schools
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
                return self.scope.outside()
            return None        # the store itself refuses the duplicate
        return self._change_problem(current, changes)

    def _change_problem(self, current: Record | None, changes: Record) -> str | None:
        if current is not None and not self.scope.allows(current):
            return self.scope.outside()
        after = {**(current or {}), **changes}
        if not self.scope.allows(after):
            return ("修改后" if current is not None else "") + self.scope.why_not(after)
        return None

    def _checked(self, id_number: str, changes: edits.Changes) -> edits.Changes:
        """``changes`` checked again under the store's lock, on the record as it is then (a function's
        changes are only known there; the record may have left the scope since it was read)."""
        def checked(current: Record) -> Record:
            wanted = changes(current) if callable(changes) else changes
            wanted = {k: v for k, v in (wanted or {}).items() if edits.is_field(k)}
            changed = [k for k, v in wanted.items() if current.get(k) != v]
            if changed:
                self._may_change(changed)
            problem = None if self.scope.everything else self._change_problem(current, wanted)
            if problem:
                raise AccessDenied(f"{_who(current, id_number)}：{problem}，不能修改")
            return wanted
        return checked

    # -- writing ---------------------------------------------------------------------------------
    def update(self, id_number: str, changes: edits.Changes, operator: str | None = None,
               expected_version: int | None = None, action: str = "update",
               detail: dict[str, Any] | None = None, *, base: Record | None = None) -> Record:
        if not callable(changes):
            self._may_change(changes)
            problem = None if self.scope.everything or id_number not in self.raw else \
                self._problem(id_number, changes, new=False)
            if problem:
                raise AccessDenied(f"{_who(self.get(id_number), id_number)}：{problem}，不能修改")
        elif self.role.read_only:
            self._may_change(())        # refused before anything is read
        return self.raw.update(id_number, self._checked(id_number, changes), self.operator.login,
                               expected_version, action, detail, base=base)

    def insert(self, record: Record, operator: str | None = None, action: str = "insert",
               detail: dict[str, Any] | None = None) -> Record:
        if not self.role.may(R.WRITE):
            self._may_change(record)
        problem = self._problem(record.get("id_number") or "", record, new=True)
        if problem:
            raise AccessDenied(f"{_who(record, record.get('id_number') or '')}：{problem}，不能录入")
        return self.raw.insert(record, self.operator.login, action, detail)

    def insert_many(self, records: list[Record], operator: str | None = None, action: str = "insert",
                    detail: dict[str, Any] | None = None, *, adopt: bool = False) -> int:
        """Insert the records within the scope; the others are listed in ``self.rejected``.
        ``adopt``: see ``ChildStore.insert_many``."""
        self.rejected = []
        if not records:
            return 0
        if not self.role.may(R.WRITE):
            raise AccessDenied(f"您的角色（{self.role.name}）只能查看，不能录入或导入儿童")
        if self.scope.everything:
            return self.raw.insert_many(records, self.operator.login, action, detail, adopt=adopt)
        keep = []
        for record in records:
            problem = self._problem(record.get("id_number") or "", record, new=True)
            if problem:
                self.rejected.append(Rejected(record.get("id_number") or "", problem))
            else:
                keep.append(record)
        return self.raw.insert_many(keep, self.operator.login, action, detail, adopt=adopt) if keep else 0

    def apply_many(self, updates: list[tuple[str, edits.Changes]], operator: str | None = None,
                   action: str = "import", detail: dict[str, Any] | None = None) -> int:
        """Apply the updates within the scope; the others are listed in ``self.rejected``."""
        self.rejected = []
        if not updates:
            return 0
        keep = []
        checking = not (self.scope.everything and self.role.may(R.WRITE))
        for id_number, changes in updates:
            current = self.raw.get(id_number) if checking else None
            if callable(changes):
                # its changes as the record is now, to reject it here with its reason (checked again under
                # the lock, on the record as it is then)
                seen = (changes(current) or {}) if current is not None else {}
                if seen:
                    self._may_change(seen)
            else:
                seen = changes
                self._may_change(seen)
            problem = None if self.scope.everything or current is None else \
                self._problem(id_number, seen, new=False)
            if problem:
                self.rejected.append(Rejected(id_number, problem))
            else:
                keep.append((id_number, self._checked(id_number, changes)))
        return self.raw.apply_many(keep, self.operator.login, action, detail) if keep else 0

    # -- collections -----------------------------------------------------------------------------
    def collection(self, name: str) -> ScopedCollection:
        coll = self._collections.get(name)
        if coll is None:
            coll = self._collections[name] = ScopedCollection(self, self.raw.collection(name))
        return coll


class ScopedCollection:
    """A store collection seen through the scope: documents about a child (``id_number``) are visible
    and writable only when the child is, a document naming its ``town`` only to that town's staff (and the
    district's); read-only roles cannot write; the people register (which
    decides the 学校 scope) is written only by roles allowed to (``roles.PEOPLE``)."""

    def __init__(self, store: ScopedStore, raw):
        self.store = store
        self.raw = raw
        self.name = raw.name

    def _visible(self, doc: Doc | None) -> bool:
        if doc is None:
            return False
        if self.store.scope.everything:
            return True
        towns = self.store.scope.towns
        if towns and isinstance(doc.get("town"), str) and doc["town"] and doc["town"] not in towns:
            return False        # a town's own document (a report it made), not another town's business
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
                raise AccessDenied(f"{_who(None, ref)}：{self.store.scope.outside()}，不能修改")
        elif self.store.scope.towns and isinstance(doc.get("town"), str) and doc["town"] \
                and doc["town"] not in self.store.scope.towns:
            raise AccessDenied(f"“{doc['town']}”不在您的管辖范围（{self.store.operator.scope_text()}）内，不能修改")
        elif self.store.scope.kind == R.VILLAGES and doc.get("village"):
            if doc["village"] not in self.store.scope.villages:
                raise AccessDenied(f"“{doc['village']}”不在您的管辖范围（{self.store.operator.scope_text()}）内，"
                                   f"不能修改")

    def insert(self, doc: Doc, operator: str | None = None, *, check: Callable[[list[Doc]], None] | None = None) -> Doc:
        return self.insert_many([doc], operator, check=check)[0]

    def insert_many(self, docs: list[Doc], operator: str | None = None, *, skip_existing: bool = False,
                    check: Callable[[list[Doc]], None] | None = None) -> list[Doc]:
        for doc in docs:
            self._check_write(doc)
        return self.raw.insert_many(docs, self.store.operator.login, skip_existing=skip_existing, check=check)

    def _checked(self, changes: edits.Changes) -> edits.Changes:
        """``changes`` checked again under the collection's lock, on the document as it is then."""
        def checked(current: Doc | None) -> Doc:
            wanted = changes(current) if callable(changes) else changes
            if current is not None:
                self._check_write(current)
            self._check_write(wanted or {})
            return wanted or {}
        return checked

    def update(self, key: str, changes: edits.Changes, operator: str | None = None,
               expected_version: int | None = None, *, base: Doc | None = None) -> Doc:
        self._check_write({} if callable(changes) else changes)      # the role, before any lock
        return self.raw.update(key, self._checked(changes), self.store.operator.login, expected_version, base=base)

    def upsert(self, key: str, changes: edits.Changes, operator: str | None = None, *,
               base: Doc | None = None) -> Doc:
        self._check_write({} if callable(changes) else changes)      # the role, before any lock
        return self.raw.upsert(key, self._checked(changes), self.store.operator.login, base=base)
