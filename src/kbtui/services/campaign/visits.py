"""Recording the finding of a door-to-door visit (入户核实), one child at a time.

``record_finding`` sets the child's situation and appends to ``status_history``, worked out under the store's
lock on the record as it is then (``store.edits``), so that visits of one child saved at once all land; the
journal keeps who changed what. It also stores the visit's evidence (services.campaign.evidence), restarts checking at
录入 (domain.checking) and closes the child's visit task (services.campaign.tasks).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kbtui.domain import status as st
from kbtui.domain.checking import after_new_finding
from kbtui.domain.child import Record
from kbtui.domain.normalize import NormalizeError, parse_date
from kbtui.domain.sorting import place_key
from kbtui.errors import StoreError
from kbtui.services.access.operators import OperatorsError, load_operators
from kbtui.services.campaign.evidence import attach
from kbtui.services.campaign.tasks import close_visit_task
from kbtui.services.children.counts import current_counts
from kbtui.services.children.places import village_label

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

# The situations offered on number keys 1–9 in fast visit entry (a profile may override them with
# ``[visits] common = [...]``); the rest are picked from a list.
COMMON_FINDINGS: tuple[str, ...] = (
    st.IN_SCHOOL, "外地就读", "区域内就读无学籍", "省内外就读无学籍", "延缓入学", "休学", "疑似辍学", "辍学",
    "户籍迁出",
)

HOW = ("入户", "电话", "学校核实", "其他")


class VisitError(StoreError):
    """A finding that cannot be recorded; the message is Chinese."""


def common_findings(workspace: Workspace) -> list[str]:
    configured = workspace.profile.settings.common_findings
    labels = list(configured) if configured is not None else list(COMMON_FINDINGS)
    return [label for label in labels if label in workspace.statuses][:9]


def finding_choices(workspace: Workspace) -> list[str]:
    """Every situation that may be recorded as a finding (not the ones derived from lists)."""
    return [s.label for s in workspace.statuses if s.kind not in (st.Kind.PENDING, st.Kind.OUTSIDE)]


def finding_problem(workspace: Workspace, status: str) -> str | None:
    """None when ``status`` may be recorded as what a visit (or a spot check) found; else why not, with
    every situation that may be."""
    situation = workspace.statuses.get(status)
    if situation is not None and situation.kind not in (st.Kind.PENDING, st.Kind.OUTSIDE):
        return None
    why = "是系统按名单推定的情况，不是可登记的核实情况" if situation is not None else "不是已登记的核实情况"
    return f"“{status}”{why}。可登记的有：{'、'.join(finding_choices(workspace))}"


def visit_queue(workspace: Workspace, village: str, today: dt.date | None = None) -> list[Record]:
    """The children of one village to walk: campaign children still 待核实 / 缓学待核实 first, then the rest
    of the campaign children; each part by group and name."""
    ctx = workspace.context(today)
    first: list[Record] = []
    rest: list[Record] = []
    district = workspace.profile.district is not None         # ``village``: 城头镇新村 in a district
    for record in workspace.store.all():
        if village_label(record, district) != village:
            continue
        c = ctx.classify(record)
        if not c.in_campaign:
            continue
        (first if c.situation in (st.PENDING_VISIT, st.DEFERRAL_CHECK) else rest).append(record)
    return sorted(first, key=place_key) + sorted(rest, key=place_key)


def village_counts(workspace: Workspace, today: dt.date | None = None) -> dict[str, tuple[int, int]]:
    """Per village: (children still to visit, campaign children); only the village files changed since
    the last count are counted again (``services.children.counts``)."""
    return current_counts(workspace).to_visit()


def visitor_names(workspace: Workspace, visitors: Iterable[str]) -> list[str]:
    """Who visited, as people's names: an operator's login (``lisi``) becomes their name (李四); nobody
    given means the operator (by name)."""
    names = [v.strip() for v in visitors if v and v.strip()]
    account = getattr(workspace, "account", None)
    if not names:
        return [account.name if account is not None and account.name else workspace.operator]
    try:
        known = {login: op.name for login, op in load_operators(workspace.root).items() if op.name}
    except OperatorsError:
        known = {}
    return list(dict.fromkeys(known.get(name, name) for name in names))


def record_finding(workspace: Workspace, id_number: str, status: str, *, school: str | None = None,
                   date: str | dt.date | None = None, note: str = "", how: str = "入户",
                   expected_version: int | None = None, today: dt.date | None = None,
                   visitors: Iterable[str] = (), evidence: Iterable[dict | str] = (), reason: str | None = None,
                   grade: str | None = None, seen: Record | None = None) -> Record:
    """Record what a visit found. Raises VisitError (Chinese message) for an unusable value and the
    store's StaleEditError when ``expected_version`` is outdated, or when ``seen`` (the record as the
    operator was shown it, e.g. in the TUI) meets another operator's change of the finding since (their
    visit, evidence, a checking step): the operator looks at it before saving again. Without them (the CLI)
    a visit simply lands, next to any saved meanwhile; changes of other fields never stand in the way.

    ``visitors`` (default: the operator; logins become names, ``visitor_names``; they are the 排查人
    ``surveyor`` of the ledgers), ``reason`` (→ ``status_reason``), ``grade``; ``evidence`` items
    are ``{description, path}`` dicts or ``"说明=路径"`` strings, files copied into ``<data>/attachments/``
    (services.campaign.evidence). The finding starts checking again at 录入, and the child's visit task is closed."""
    if how not in HOW:
        raise VisitError(f"核实方式“{how}”不对，可选：{'、'.join(HOW)}")
    problem = finding_problem(workspace, status)
    if problem:
        raise VisitError(problem)
    today = today or dt.date.today()
    try:
        day = parse_date(date) if date not in (None, "") else today
    except NormalizeError as err:
        raise VisitError(f"走访日期：{err}") from None
    if day > today:
        raise VisitError(f"走访日期 {day} 晚于今天")
    record = workspace.store.get(id_number)
    if record is None:
        raise VisitError(f"找不到身份证号为 {id_number} 的儿童")
    visitors = visitor_names(workspace, visitors)
    items = [{**e, "status": status} for e in attach(workspace, id_number, evidence, day)]

    def changes(current: Record) -> dict[str, Any]:
        """The finding on the record as it is under the store's lock: another operator's visit saved
        meanwhile stays in the history (and its evidence in the evidence list)."""
        entry: dict[str, Any] = {"status": status, "date": day.isoformat(), "by": workspace.operator,
                                 "how": how, "note": note.strip()}
        found: dict[str, Any] = {"status": status}
        if school is not None and school.strip() != (current.get("school") or ""):
            found["school"] = entry["school"] = school.strip()
        if note.strip():
            found["note"] = note.strip()
        entry["visitors"] = visitors
        if "、".join(visitors) != (current.get("surveyor") or ""):
            found["surveyor"] = "、".join(visitors)        # the ledgers' 排查人
        if reason is not None and reason.strip() != (current.get("status_reason") or ""):
            found["status_reason"] = entry["reason"] = reason.strip()
        if grade is not None and grade.strip() != (current.get("grade") or ""):
            found["grade"] = entry["grade"] = grade.strip()
        if items:
            found["evidence"] = [*(current.get("evidence") or []), *items]
            entry["evidence"] = [e["description"] for e in items]
        found["status_history"] = [*(current.get("status_history") or []), entry]
        found.update(after_new_finding(current))
        return found

    saved = workspace.store.update(id_number, changes, workspace.operator, expected_version=expected_version,
                                   base=seen, action="visit", detail={"how": how, "date": day.isoformat()})
    close_visit_task(workspace, id_number, date=day.isoformat(), how=how, visitors=visitors)
    return saved
