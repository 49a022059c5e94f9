"""Managing operators (镇管理员 only): add, change, remove and list the entries of ``operators.toml``.

Every change is made under the file's lock, keeps at least one 镇管理员, accepts only the township's
villages and schools (``known_places``) and is journaled (actions ``operators.add/update/remove``) with the
digest of the file as written, which ``audit verify`` compares with the file.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from kbtui.domain import roles as R
from kbtui.services.access.gate import operator_of, raw_store, require
from kbtui.services.access.operators import (
    Operator,
    OperatorsError,
    district_scope_problem,
    journal_change,
    load_operators,
    make_operator,
    name_list,
    operators_digest,
    operators_path,
    save_operators,
    within_towns,
)
from kbtui.services.children.places import split_village
from kbtui.store.storage import locked, make_lock

if TYPE_CHECKING:
    from kbtui.profiles import District
    from kbtui.services.workspace import Workspace


def _journal_operator_change(workspace: Workspace, action: str, login: str, changes: dict, before: str | None) -> None:
    """Journaled with the file's digests (``operators.journal_change``): called under the file's lock."""
    actor = operator_of(workspace)
    journal_change(raw_store(workspace).journal, actor.login if actor else str(workspace.operator), action, login,
                   changes, workspace.root, before)


def known_places(workspace: Workspace) -> tuple[set[str], set[str]]:
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


def require_may_manage(workspace: Workspace, other: Operator, admin: Operator | None = None) -> None:
    """A district's town admin manages only the operators of their own town(s): OperatorsError (Chinese)
    otherwise. ``admin``: the current operator (by default)."""
    admin = admin or operator_of(workspace)
    if admin is not None and not within_towns(admin, other):
        raise OperatorsError(f"您只管{admin.scope_text()}，不能添加、修改或删除{other.scope_text()}的操作员"
                             f"（{other.login}，{other.role}）")


def add_operator(workspace: Workspace, login: str, name: str | None, role: str,
                 villages: Iterable[str] | str | None = None,
                 schools: Iterable[str] | str | None = None, towns: Iterable[str] | str | None = None, *,
                 replace: bool = False) -> Operator:
    """Add (or with ``replace`` change) an operator. Only roles with ``roles.ADMIN``; journaled."""
    admin = require(workspace, R.ADMIN, "管理操作员")
    district = workspace.profile.district
    if district is not None:
        villages, towns = _district_villages(district, villages, towns)
    operator = make_operator(login, name, role, villages, schools, towns, district=district is not None)
    if district is None and operator.role in R.DISTRICT_ROLES:
        raise OperatorsError(f"{operator.role}是区县数据的角色，本数据目录是乡镇配置，"
                             f"可用的角色有：{'、'.join(offered_roles(workspace))}")
    problem = district_scope_problem(operator, district.town_names if district else None)
    if problem:
        raise OperatorsError(problem)
    require_may_manage(workspace, operator, admin)
    known_villages, known_schools = known_places(workspace)
    if district is not None:
        _require_villages_of_towns(workspace, operator)
    unknown = [v for v in operator.villages if v not in known_villages]
    if unknown:
        raise OperatorsError(f"本乡镇没有“{'、'.join(unknown)}”，可用的村（社区）有："
                             f"{'、'.join(sorted(known_villages))}")
    unknown = [s for s in operator.schools if s not in known_schools]
    if unknown:
        raise OperatorsError(f"本乡镇没有“{'、'.join(unknown)}”，可用的学校有：{'、'.join(sorted(known_schools))}")
    path = operators_path(workspace.root)
    with locked(make_lock(path), path):
        operators = load_operators(workspace.root)
        digest = operators_digest(workspace.root)
        old = operators.get(operator.login)
        if old is not None and not replace:
            raise OperatorsError(f"操作员“{operator.login}”已存在（{old.label()}），如需修改请加 --replace")
        if old is not None:
            require_may_manage(workspace, old, admin)
        if old is not None and old.role_info.may(R.ADMIN) and not operator.role_info.may(R.ADMIN):
            _keep_an_admin(operators, operator.login)
        operators[operator.login] = operator
        save_operators(workspace.root, operators)
        before = old.as_doc() if old else {}
        changes = {k: [before.get(k), v] for k, v in operator.as_doc().items() if before.get(k) != v}
        _journal_operator_change(workspace, "operators.update" if old else "operators.add", operator.login, changes,
                                 digest)
    return operator


def offered_roles(workspace: Workspace) -> list[str]:
    """The roles an operator of this data folder may have: the district's (区县管理员、区县教育局) only on a
    district profile, and not offered by an admin limited to towns (who cannot give them)."""
    if workspace.profile.district is None:
        return [r for r in R.ROLES if r not in R.DISTRICT_ROLES]
    admin = operator_of(workspace)
    if admin is not None and admin.towns:
        return [r for r in R.ROLES if r not in R.DISTRICT_ROLES]
    return list(R.ROLES)


def _district_villages(district: District, villages: Iterable[str] | str | None,
                       towns: Iterable[str] | str | None) -> tuple[list[str], list[str]]:
    """A district's villages as typed (``城头镇新村``, ``城头镇·新村`` or a bare 新村) as bare names, and the
    towns they name added to ``towns`` (a village cadre of 城头镇新村 is limited to 城头镇)."""
    bare, named = [], [district.canonical_town(t) or t for t in name_list(towns)]
    for text in name_list(villages):
        town, village = split_village(district, text)
        bare.append(village)
        if town and town not in named:
            named.append(town)
    return bare, named


def _require_villages_of_towns(workspace: Workspace, operator: Operator) -> None:
    """A district's village cadre's villages lie in their towns (the profile's, or stored children's)."""
    district = workspace.profile.district
    if district is None or not operator.villages:
        return
    present: dict[str, set[str]] = {t.name: set(t.villages) for t in district.towns}
    for record in raw_store(workspace).all():
        if record.get("town") and record.get("village"):
            present.setdefault(record["town"], set()).add(record["village"])
    for village in operator.villages:
        if not any(village in present.get(town, ()) for town in operator.towns):
            places = sorted(f"{town}{v}" for town in operator.towns for v in present.get(town, ()))
            raise OperatorsError(f"{'、'.join(operator.towns)}没有村（社区）“{village}”，可用的有："
                                 f"{'、'.join(places) or '（无）'}")


def _keep_an_admin(operators: dict[str, Operator], leaving: str) -> None:
    if not any(op.role_info.may(R.ADMIN) for login, op in operators.items() if login != leaving):
        raise OperatorsError("不能去掉最后一位镇管理员，请先指定另一位镇管理员")


def remove_operator(workspace: Workspace, login: str) -> Operator:
    admin = require(workspace, R.ADMIN, "管理操作员")
    path = operators_path(workspace.root)
    with locked(make_lock(path), path):
        operators = load_operators(workspace.root)
        digest = operators_digest(workspace.root)
        old = operators.get(login)
        if old is None:
            raise OperatorsError(f"没有操作员“{login}”")
        require_may_manage(workspace, old, admin)
        if old.role_info.may(R.ADMIN):
            _keep_an_admin(operators, login)
        del operators[login]
        save_operators(workspace.root, operators)
        _journal_operator_change(workspace, "operators.remove", login,
                                 {k: [v, None] for k, v in old.as_doc().items()}, digest)
    return old


def list_operators(workspace: Workspace) -> list[Operator]:
    found = load_operators(workspace.root, district=workspace.profile.district is not None).values()
    return sorted(found, key=lambda o: (list(R.ROLES).index(o.role), o.login))
