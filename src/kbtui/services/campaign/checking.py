"""Checking findings level by level (录入 → 村/校核查 → 镇核查 → 县复核), journaled, with sending back.

Who the operator is (roles, unit) comes from ``operator_checker``: the operator account
(``<data>/operators.toml``) and the people register (a person may appear more than once, several roles).
An account that may do everything in the township (镇管理员, 教育专干) takes the township's levels
(村/校核查, 镇核查) anywhere; 县复核 is the county's. ``level_problem`` says, before any record is touched,
whether the operator may take a level, and if not who may and how to get there.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kbtui.domain import checking as chk
from kbtui.domain import roles as R
from kbtui.domain import status as st
from kbtui.domain.sorting import place_key
from kbtui.errors import StaleEditError, StoreError
from kbtui.services.campaign.people import PEOPLE
from kbtui.services.children.places import village_problem

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

# what a checking step passes (or sends back): a step on a finding that changed since it was read is refused
from kbtui.store import edits

FINDING_FIELDS = ("status", "status_reason", "status_history", "evidence")


class ReviewError(StoreError):
    """A checking step that cannot be taken; the message is Chinese."""


# Operator roles (services.access.operators, ``operators.toml``) → the roles of the checking rules.
ACCOUNT_ROLES: dict[str, tuple[str, ...]] = {
    "镇管理员": ("镇领导", "教育专干"), "教育专干": ("教育专干",), "村干部": ("村干部",),
    "学校": ("学校领导",), "督导": ("督学",), "县复核": ("县教育局",),
}
#: Accounts acting for the whole township: they may take every level of ``chk.TOWNSHIP_LEVELS``.
TOWNSHIP_ACCOUNTS: tuple[str, ...] = (R.TOWN_ADMIN, R.EDU_OFFICER)


def operator_checker(workspace: Workspace, name: str | None = None) -> chk.Checker:
    """The operator (or ``name``) as a checker: the one place that decides a checker's roles and unit.

    Roles: the operator account's role (``workspace.account``, from ``operators.toml``, mapped through
    ``ACCOUNT_ROLES``) together with every role the people register gives the same name (a principal
    logged in with the 学校 account is still 校长). Unit: the account's first village or school, else the
    register's.
    """
    account = getattr(workspace, "account", None) if name is None else None
    names = {name or workspace.operator}
    if account is not None:
        names |= {account.name, account.login}
    matches = [p for p in workspace.store.collection(PEOPLE).all() if p.get("name") in names]
    roles: list[str] = list(ACCOUNT_ROLES.get(getattr(account, "role", ""), ())) if account else []
    roles += [p["role"] for p in matches if p.get("role")]
    units = list(getattr(account, "villages", ()) or ()) + list(getattr(account, "schools", ()) or ()) \
        if account else []
    units += [p["unit"] for p in matches if p.get("unit")]
    display = account.name if account is not None and account.name else (name or workspace.operator)
    township = account is not None and account.role in TOWNSHIP_ACCOUNTS
    return chk.Checker(display, tuple(dict.fromkeys(roles)), units[0] if units else "", township)


def accounts_for(level: str, overrides: dict[str, list[str]] | None = None) -> list[str]:
    """The operator roles (``operators.toml``) whose accounts may take ``level``."""
    level = chk.normalize_level(level)
    allowed = set(chk.roles_for(level, overrides))
    return [role for role, mapped in ACCOUNT_ROLES.items() if R.ROLES[role].may(R.REVIEW)
            and (set(mapped) & allowed or (role in TOWNSHIP_ACCOUNTS and level in chk.TOWNSHIP_LEVELS))]


def level_problem(workspace: Workspace, level: str, checker: chk.Checker | None = None) -> str | None:
    """None if the operator (or ``checker``) may take ``level`` at all; else why not, who may, and how to
    get there (which operator role to add, by whom, with which command)."""
    level = chk.normalize_level(level)
    checker = checker or operator_checker(workspace)
    overrides = role_overrides(workspace)
    refusal = chk.level_refusal(checker, level, overrides)
    if refusal is None or level == chk.ENTERED:
        return refusal
    accounts = accounts_for(level, overrides)
    people_roles = "、".join(chk.roles_for(level, overrides))
    who = (f"可以做“{level}”的有：角色为{'、'.join(accounts)}的操作员" if accounts else f"可以做“{level}”的有：")
    who += f"{'，以及' if accounts else ''}人员名单中职务为{people_roles}的人（按其系统用户名或姓名认定）"
    # the narrowest account that will do: a village's cadre before the township's officer before its admin
    role = min(accounts, key=lambda r: (R.ROLES[r].scope == R.ALL, R.ROLES[r].may(R.ADMIN))) if accounts else "角色"
    add = f"kbtui operators add 登录名 --role {role} --name 姓名"
    account = getattr(workspace, "account", None)
    if account is not None and account.role_info.may(R.ADMIN):
        how = f"可用 {add} 添加这样的操作员（界面中按 Ctrl+P 选“操作员”，再按 A），由其登录后核查"
    else:
        how = f"请镇管理员添加这样的操作员（{add}），或在人员名单中登记您的职务"
    return f"{refusal}。{who}。{how}"


def role_overrides(workspace: Workspace) -> dict[str, list[str]]:
    """The profile's ``[checking.roles]``: level → roles allowed (replaces the default list)."""
    return {level: list(roles) for level, roles in workspace.profile.settings.checking_roles.items()}


def _schools_of_village(workspace: Workspace, village: str) -> list[str]:
    return workspace.profile.settings.responsibility.schools_for_village(village)


def _situation_known(workspace: Workspace, record: dict, ctx=None) -> bool:
    situation = (ctx or workspace.context()).classify(record).situation
    return workspace.statuses.kind_of(situation) not in (st.Kind.PENDING, st.Kind.OUTSIDE, None)


def review(workspace: Workspace, id_number: str, level: str, *, reject: str | None = None,
           checker: chk.Checker | None = None, expected_version: int | None = None,
           now: dt.datetime | None = None) -> dict:
    """Pass ``level`` for one child's finding, or send it back with ``reject`` as the reason."""
    try:
        level = chk.normalize_level(level)
    except chk.CheckingError as err:
        raise ReviewError(str(err)) from None
    record = workspace.store.get(id_number)
    if record is None:
        raise ReviewError(f"找不到身份证号为 {id_number} 的儿童")
    checker = checker or operator_checker(workspace)
    refused = level_problem(workspace, level, checker)
    if refused:
        raise ReviewError(f"{record.get('name') or id_number}：{refused}")
    reason = (reject or "").strip() or None
    if reject is not None and not reason:
        raise ReviewError("退回时须写明原因")
    at = (now or dt.datetime.now()).isoformat(timespec="seconds")

    def step(current: dict) -> dict:
        """The step, checked under the store's lock against the record as it is then: a finding changed
        since it was read (a new visit) refuses the step with the stale-edit message; a step saved meanwhile
        is what this one follows (or clashes with), and stays in the check history."""
        if any(current.get(k) != record.get(k) for k in FINDING_FIELDS):
            raise edits.stale(current, {"check_level": level})
        known = _situation_known(workspace, current)
        if known and chk.current_level(current) is None:
            # a situation derived from the lists (在籍在校 on a school list) stands at 录入 without a finding
            current = {**current, "check_level": chk.ENTERED}
        problem = chk.may_take(checker, level, current, situation_known=known,
                               overrides=role_overrides(workspace),
                               schools_of_village=_schools_of_village(workspace, current.get("village") or ""))
        problem = problem or chk.step_error(current, level, reject=reason is not None)
        if problem:
            raise ReviewError(f"{current.get('name') or id_number}：{problem}")
        changes = chk.apply_step(current, level, checker, at, reason)
        if changes["check_level"] is None and not current.get("status"):
            changes.pop("check_level")
        return changes

    step(record)            # refused before taking the lock
    action = "check.return" if reason else "check.pass"
    return workspace.store.update(id_number, step, workspace.operator, expected_version=expected_version,
                                  action=action, detail={"level": level, "reason": reason})


def review_many(workspace: Workspace, id_numbers: Iterable[str], level: str, *, checker: chk.Checker | None = None,
                now: dt.datetime | None = None) -> dict[str, Any]:
    """Pass ``level`` for many findings (a checker going through a village's list). Records that cannot
    take the step are skipped with their reason; an operator who may not take the level at all gets
    ReviewError (saying who may) before any record is looked at."""
    checker = checker or operator_checker(workspace)
    refused = level_problem(workspace, level, checker)
    if refused:
        raise ReviewError(refused)
    passed, skipped = 0, []
    for id_number in id_numbers:
        try:
            review(workspace, id_number, level, checker=checker, now=now)
            passed += 1
        except (ReviewError, StaleEditError) as err:       # a finding changed since the list was read
            skipped.append({"id_number": id_number, "reason": str(err)})
    return {"passed": passed, "skipped": skipped}


def awaiting(workspace: Workspace, level: str, village: str | None = None) -> list[dict]:
    """Findings ready for ``level``: recorded, at the level just below, not sent back. A ``village`` no child
    lives in raises ReviewError listing the villages."""
    problem = village_problem(workspace, village)
    if problem:
        raise ReviewError(problem)
    level = chk.normalize_level(level)
    below = chk.LEVELS[chk.level_index(level) - 1] if chk.level_index(level) > 0 else None
    ctx = workspace.context()
    result = []
    for record in workspace.store.all():
        if village and record.get("village") != village:
            continue
        if chk.is_returned(record) or not ctx.classify(record).in_campaign:
            continue
        if not _situation_known(workspace, record, ctx):
            continue
        here = chk.current_level(record) or chk.ENTERED
        if here == below:
            result.append(record)
    return sorted(result, key=place_key)


def returned(workspace: Workspace, village: str | None = None) -> list[dict]:
    return sorted((r for r in workspace.store.all() if chk.is_returned(r)
                   and (not village or r.get("village") == village)),
                  key=lambda r: (r.get("village") or "", r.get("name") or ""))


def level_summary(workspace: Workspace) -> dict[str, int]:
    ctx = workspace.context()
    records = [r for r in workspace.store.all()
               if ctx.classify(r).in_campaign and _situation_known(workspace, r, ctx)]
    counts = chk.level_counts(records)
    # list-derived situations (在籍在校 from the school list) stand at 录入 without a recorded finding
    counts[chk.ENTERED] += sum(1 for r in records if chk.current_level(r) is None and not chk.is_returned(r))
    return counts
