"""Escalation use cases: the profile's ladders, the actions due on a date, advancing the ladders
(marks 疑似辍学/辍学, opens cases, notes the rungs reached on the case) and recording actions done.

Three clocks start a ladder (``domain.escalation``): a child's absences, a guardian's refusal recorded on
the case, and a finding: a child whose situation is a problem one (失学 / 疑似辍学 / 辍学, however it was
recorded: a visit, a ledger filled in, an edit) and who has no case yet (``found_on``).

Actions done are kept in ``store.collection("escalation_actions")``, keyed by
``domain.escalation.action_key`` (child, ladder, rung, episode), so an action is recorded once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kbtui.domain.calendar import SchoolCalendar
from kbtui.domain.escalation import (
    ABSENCE,
    CASE_CLOSED,
    CASE_OPEN,
    FINDING,
    REFUSAL,
    DueAction,
    Episode,
    Ladder,
    Reached,
    action_key,
    dated_episode,
    episode_on,
    episodes,
    stronger_mark,
)
from kbtui.domain.status import DROPOUT_REASONS, Kind
from kbtui.errors import StoreError
from kbtui.services.escalation import absences as absences_service
from kbtui.services.escalation import cases as cases_service
from kbtui.services.lookup import EscalationError, parse_day

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

ACTIONS = "escalation_actions"
DEFAULT_LADDERS = ("finding", "national", "legal")
GOVERNMENT_WORDS = ("镇", "乡", "村", "街道", "政府", "司法")


def profile_ladders(workspace: Workspace) -> list[Ladder]:
    """The ladders the profile chooses (``[escalation] ladders``), in its order."""
    chosen = workspace.profile.settings.ladders
    names = list(DEFAULT_LADDERS) if chosen is None else list(chosen)
    registry = workspace.ladders
    missing = [n for n in names if n not in registry]
    if missing:
        available = "、".join(registry) or "（无）"
        raise EscalationError(f"配置文件 [escalation] ladders 中的劝返流程“{'、'.join(missing)}”没有登记，"
                              f"可用的有：{available}")
    return [registry[n] for n in names]


def rung_text(workspace: Workspace, ladder_id: str, rung_id: str, label: str | None = None) -> str:
    """A rung as a user reads it: ``疑似辍学、辍学认定流程·超过一周`` (titles, not the ids stored)."""
    ladder = workspace.ladders.get(ladder_id)
    if label is None and ladder is not None:
        label = next((r.label for r in ladder.rungs if r.id == rung_id), None)
    return f"{ladder.title if ladder is not None else ladder_id}·{label or rung_id}"


def _person(record: dict, case: dict | None, role: str, reached: dt.date) -> str:
    """Who answers for a rung: the child's teacher or cadre for those roles, else the case's persuader
    for rungs reached once the case is open."""
    if "班主任" in role or "教师" in role:
        return record.get("responsible_edu") or ""
    if any(w in role for w in GOVERNMENT_WORDS):
        return record.get("responsible_gov") or ""
    if case and case.get("persuader") and (case.get("opened_on") or "") <= reached.isoformat():
        return case["persuader"]
    return ""


@dataclass
class ChildLadders:
    """One child's ladders as of a date: the episode and every rung reached (absence and legal)."""
    id_number: str
    episode: Episode | None
    reached: list[Reached] = field(default_factory=list)
    episode_key: dict[str, str] = field(default_factory=dict)    # ladder id -> episode key


def _done_keys(workspace: Workspace) -> set[str]:
    return {d["key"] for d in workspace.store.collection(ACTIONS).all()}


def _child_ladders(id_number: str, spans, calendar: SchoolCalendar, ladders: list[Ladder],
                   case: dict | None, on: dt.date, found: dt.date | None = None) -> ChildLadders:
    """``found``: the day the child was found in a problem situation, when they have no case (``found_on``)."""
    found_episodes = episodes(spans, calendar) if spans else []
    episode = episode_on(found_episodes, on)
    result = ChildLadders(id_number, episode)
    for ladder in ladders:
        if ladder.trigger == ABSENCE and episode is not None:
            result.reached += ladder.reached_by(episode, on)
            result.episode_key[ladder.id] = episode.first.isoformat()
        elif ladder.trigger == REFUSAL and case and case.get("legal_start") and case.get("status") == CASE_OPEN:
            start = dt.date.fromisoformat(case["legal_start"])
            back = dt.date.fromisoformat(case["returned_on"]) if case.get("returned_on") else None
            if start <= on and (back is None or on < back):
                result.reached += ladder.reached_by(dated_episode(calendar, start, back), on)
                result.episode_key[ladder.id] = case["legal_start"]
        elif ladder.trigger == FINDING and found is not None and found <= on:
            result.reached += ladder.reached_by(dated_episode(calendar, found, None), on)
            result.episode_key[ladder.id] = found.isoformat()
    return result


def found_on(workspace: Workspace, record: dict, has_case: bool) -> dt.date | None:
    """The day ``record``'s child was found in the problem situation they are in now (失学, 疑似辍学, 辍学 …:
    ``Kind.PROBLEM``), counted from the first of the latest run of such entries in the status history (疑似辍学
    then 辍学 is one finding); None when the situation is no problem one or the child has a case not closed
    (``has_case``: the finding has been taken up)."""
    statuses = workspace.statuses
    if has_case or statuses.kind_of(record.get("status") or "") is not Kind.PROBLEM:
        return None
    day = None
    for entry in reversed(record.get("status_history") or []):
        if statuses.kind_of(entry.get("status") or "") is not Kind.PROBLEM:
            break
        day = entry.get("date") or day
    try:
        return dt.date.fromisoformat(str(day)[:10]) if day else None
    except ValueError:
        return None


def _findings(workspace: Workspace, ladders: list[Ladder], taken: set[str]) -> dict[str, dt.date]:
    """Children found in a problem situation who have no case (``taken``: the children with one), by ID."""
    if not any(ladder.trigger == FINDING for ladder in ladders):
        return {}
    problems = set(workspace.statuses.labels(Kind.PROBLEM))
    result = {}
    for record in workspace.store.all():
        if record.get("status") in problems and record["id_number"] not in taken:
            day = found_on(workspace, record, False)
            if day is not None:
                result[record["id_number"]] = day
    return result


def _survey(workspace: Workspace, on: dt.date) -> list[ChildLadders]:
    calendar = absences_service.calendar_of(workspace)
    ladders = profile_ladders(workspace)
    spans = absences_service.spans_by_child(workspace, calendar)
    every_case = cases_service.all_cases(workspace)
    open_cases = {c["id_number"]: c for c in every_case if c.get("status") == CASE_OPEN}
    findings = _findings(workspace, ladders, {c["id_number"] for c in every_case if c.get("status") != CASE_CLOSED})
    children = sorted(set(spans) | set(open_cases) | set(findings))
    return [_child_ladders(i, spans.get(i, []), calendar, ladders, open_cases.get(i), on, findings.get(i))
            for i in children]


def due_actions(workspace: Workspace, on: dt.date | None = None, *, include_done: bool = False) -> list[DueAction]:
    """Every action due or overdue on ``on``: rungs reached by then whose action is not recorded done,
    for children still away on that date (a returned child climbs no further)."""
    on = on or dt.date.today()
    done = _done_keys(workspace)
    open_cases = {c["id_number"]: c for c in cases_service.all_cases(workspace) if c.get("status") == CASE_OPEN}
    result = []
    for child in _survey(workspace, on):
        record = workspace.store.get(child.id_number) or {"id_number": child.id_number}
        case = open_cases.get(child.id_number)
        for reached in child.reached:
            episode = child.episode_key[reached.ladder.id]
            key = action_key(child.id_number, reached.ladder.id, reached.rung.id, episode)
            if key in done and not include_done:
                continue
            result.append(DueAction(
                id_number=child.id_number, name=record.get("name", ""), ladder=reached.ladder.id,
                ladder_title=reached.ladder.title, rung=reached.rung.id, rung_label=reached.rung.label,
                action=reached.rung.action, role=reached.rung.role,
                person=_person(record, case, reached.rung.role, reached.date), reached=reached.date, due=reached.due,
                overdue=on > reached.due, case=case["key"] if case else None, episode=episode))
    return sorted(result, key=lambda a: (a.due, a.reached, a.name, a.ladder, a.rung))


@dataclass
class AdvanceReport:
    marked: list[tuple[str, str, str]] = field(default_factory=list)   # (id_number, name, status)
    opened: list[str] = field(default_factory=list)                    # case keys
    noted: int = 0

    def marked_children(self) -> list[str]:
        """One entry per child marked, with the marks in order: 任天佑（疑似辍学→辍学） (advancing over a long
        absence passes several rungs; the child is still one child)."""
        marks: dict[str, tuple[str, list[str]]] = {}
        for id_number, name, status in self.marked:
            marks.setdefault(id_number, (name, []))[1].append(status)
        return [f"{name}（{'→'.join(statuses)}）" for name, statuses in marks.values()]

    def summary(self) -> str:
        parts = []
        if self.marked:
            parts.append("标注 " + "、".join(self.marked_children()))
        if self.opened:
            parts.append(f"新立案卷 {len(self.opened)} 件")
        if self.noted:
            parts.append(f"记入案卷的步骤 {self.noted} 个")
        return "；".join(parts) or "没有需要推进的事项"

    def empty(self) -> bool:
        return not (self.marked or self.opened or self.noted)

    def question(self, on: dt.date) -> str:
        """The confirmation asked before advancing (from ``preview_advance``): what will be written."""
        last = {id_number: status for id_number, _name, status in self.marked}    # a child marked twice: the last
        marks: dict[str, int] = {}
        for status in last.values():
            marks[status] = marks.get(status, 0) + 1
        parts = []
        if last:
            parts.append(f"标注 {len(last)} 名儿童（" + "，".join(f"{k} {v} 人" for k, v in marks.items()) + "）")
        if self.opened:
            parts.append(f"新立案卷 {len(self.opened)} 件（一生一案）")
        if self.noted:
            parts.append(f"在案卷中记入已到的步骤 {self.noted} 个")
        return f"按劝返流程推进到 {on.isoformat()}：将{'，'.join(parts)}。每一项都记入修改日志。是否推进？"


@dataclass
class _Step:
    """One write ``advance`` makes: mark the child, open a case (noting the rungs reached before), or note a
    rung reached on the open case."""
    kind: str                     # "mark" | "open" | "note"
    child: ChildLadders
    name: str
    reached: Reached
    entry: dict
    earlier: list[dict] = field(default_factory=list)
    marks: str = ""               # a "mark" step: the situation it sets


def _entry(child: ChildLadders, reached: Reached) -> dict:
    return {"ladder": reached.ladder.id, "rung": reached.rung.id, "label": reached.rung.label,
            "date": reached.date.isoformat(), "episode": child.episode_key[reached.ladder.id]}


def _ident(entry: dict) -> tuple:
    return entry.get("ladder"), entry.get("rung"), entry.get("episode")


def _plan(workspace: Workspace, on: dt.date) -> list[_Step]:
    """What the ladders say to write by ``on``, nothing written: marks that raise the child's situation,
    cases to open at a case rung, rungs reached not yet on the (open) case."""
    steps: list[_Step] = []
    for child in _survey(workspace, on):
        record = workspace.store.get(child.id_number)
        if record is None:
            continue
        name, status = record.get("name", ""), record.get("status")
        case = cases_service.open_case_of(workspace, child.id_number)
        has_case, is_open = case is not None, case is not None and case.get("status") == CASE_OPEN
        noted = {_ident(r) for r in (case or {}).get("rungs") or []}
        for n, reached in enumerate(child.reached):
            entry = _entry(child, reached)
            if reached.rung.marks and stronger_mark(status, reached.rung.marks):
                steps.append(_Step("mark", child, name, reached, entry, marks=reached.rung.marks))
                status = reached.rung.marks
            if not has_case and reached.rung.opens_case:
                earlier = [_entry(child, e) for e in child.reached[:n]]
                steps.append(_Step("open", child, name, reached, entry, earlier))
                has_case = is_open = True
                noted |= {_ident(e) for e in earlier}
            if is_open and _ident(entry) not in noted:
                steps.append(_Step("note", child, name, reached, entry))
                noted.add(_ident(entry))
    return steps


def preview_advance(workspace: Workspace, on: dt.date | None = None) -> AdvanceReport:
    """What ``advance`` would do by ``on`` (for a confirmation before it is done); nothing is written."""
    report = AdvanceReport()
    for step in _plan(workspace, on or dt.date.today()):
        if step.kind == "mark":
            report.marked.append((step.child.id_number, step.name, step.marks))
        elif step.kind == "open":
            report.opened.append(step.child.id_number)
        else:
            report.noted += 1
    return report


def advance(workspace: Workspace, on: dt.date | None = None) -> AdvanceReport:
    """Apply what the ladders say by ``on``: marks (疑似辍学 / 辍学, never downgraded), cases opened at
    the case rung, rungs reached noted on the case. Idempotent: running it twice changes nothing."""
    on = on or dt.date.today()
    report = AdvanceReport()
    for step in _plan(workspace, on):
        child, reached = step.child, step.reached
        ladder, rung = reached.ladder, reached.rung
        how = f"{ladder.title}·{rung.label}"
        if step.kind == "mark":
            if cases_service.mark(workspace, child.id_number, step.marks, reached.date, how):
                report.marked.append((child.id_number, step.name, step.marks))
                if ladder.trigger == ABSENCE and child.episode is not None:
                    cases_service.sync_child(workspace, child.id_number, how,
                                             absence_from=(child.episode.start or child.episode.first).isoformat())
        elif step.kind == "open":
            record = workspace.store.get(child.id_number) or {}
            reason = record.get("status_reason")
            case = cases_service.open_case(workspace, child.id_number, on=reached.date, ladder=ladder.id,
                                           how=f"自动立案（{how}）",
                                           reason=reason if reason in DROPOUT_REASONS else "")
            report.opened.append(case["key"])
            for earlier in step.earlier:      # rungs reached earlier in the same episode belong to the case too
                case = cases_service.note_rung(workspace, case, earlier)
        else:
            current = cases_service.open_case_of(workspace, child.id_number)
            if current is not None and current.get("status") == CASE_OPEN:
                before = len(current.get("rungs") or [])
                current = cases_service.note_rung(workspace, current, step.entry)
                report.noted += len(current.get("rungs") or []) - before
    return report


def record_done(workspace: Workspace, id_number: str, rung: str, *, ladder: str | None = None,
                on: dt.date | str | None = None, by: str = "", note: str = "") -> dict:
    """Record that the action of a rung reached by ``on`` was carried out."""
    record = absences_service.find_child(workspace, id_number)
    day = parse_day(on)
    case = cases_service.open_case_of(workspace, record["id_number"])
    calendar = absences_service.calendar_of(workspace)
    spans = absences_service.spans_by_child(workspace, calendar).get(record["id_number"], [])
    child = _child_ladders(record["id_number"], spans, calendar, profile_ladders(workspace),
                           case if case and case.get("status") == CASE_OPEN else None, day,
                           found_on(workspace, record, case is not None))
    matches = [r for r in child.reached if r.rung.id == rung and (ladder is None or r.ladder.id == ladder)]
    if not matches:
        ladders = profile_ladders(workspace)
        if not any(r.id == rung for lad in ladders for r in lad.rungs if ladder is None or lad.id == ladder):
            known = "；".join(f"{lad.title}：" + "、".join(f"{r.id}（{r.label}）" for r in lad.rungs)
                             for lad in ladders if ladder is None or lad.id == ladder)
            raise EscalationError(f"没有步骤“{rung}”" + (f"（流程 {ladder}）" if ladder else "")
                                  + f"，可用的有：{known or '（无）'}")
        reached_now = "、".join(f"{r.rung.id}（{r.rung.label}）" for r in child.reached) or "（无）"
        raise EscalationError(f"{record.get('name', '')} 在 {day} 没有到达步骤“{rung}”"
                              + (f"（流程 {ladder}）" if ladder else "") + f"，无需记录；已到达的步骤：{reached_now}")
    if len(matches) > 1:
        raise EscalationError(f"步骤“{rung}”属于多个劝返流程，请用 流程:步骤 的写法，例如 "
                              f"{matches[0].ladder.id}:{rung}")
    reached = matches[0]
    episode = child.episode_key[reached.ladder.id]
    doc = {"key": action_key(record["id_number"], reached.ladder.id, rung, episode),
           "id_number": record["id_number"], "ladder": reached.ladder.id, "rung": rung, "episode": episode,
           "reached": reached.date.isoformat(), "done_on": day.isoformat(), "by": by or workspace.operator,
           "note": note}
    try:
        return workspace.store.collection(ACTIONS).insert(doc, workspace.operator)
    except StoreError as err:
        if "已存在" in str(err):
            raise EscalationError(f"{record.get('name', '')} 的“{reached.rung.label}”已记录为完成") from None
        raise


def add_attempt(workspace: Workspace, key: str, *, rung: str | None = None, **attempt: Any) -> dict:
    """Record one persuasion attempt on the case (``cases.add_attempt``: on, by, how, result, refused, note);
    ``rung`` ("ladder:rung" or "rung"): the due action this attempt carries out, recorded as done."""
    case = cases_service.add_attempt(workspace, key, **attempt)
    if rung:
        done = case["attempts"][-1]
        ladder_id, _, rung_id = rung.rpartition(":")
        record_done(workspace, case["id_number"], rung_id, ladder=ladder_id or None,
                    on=dt.date.fromisoformat(done["date"]), by=done["by"], note=f"{done['how']}：{done['result']}")
    return case


def timeline(workspace: Workspace, id_number: str, on: dt.date | None = None) -> list[dict]:
    """The child's ladder on ``on``: every rung of the profile's ladders, reached or not, and done."""
    on = on or dt.date.today()
    calendar = absences_service.calendar_of(workspace)
    spans = absences_service.spans_by_child(workspace, calendar).get(id_number, [])
    case = cases_service.open_case_of(workspace, id_number)
    record = workspace.store.get(id_number) or {}
    child = _child_ladders(id_number, spans, calendar, profile_ladders(workspace), case, on,
                           found_on(workspace, record, case is not None))
    done = _done_keys(workspace)
    reached = {(r.ladder.id, r.rung.id): r for r in child.reached}
    rows = []
    for ladder in profile_ladders(workspace):
        for rung in ladder.rungs:
            hit = reached.get((ladder.id, rung.id))
            key = action_key(id_number, ladder.id, rung.id, child.episode_key.get(ladder.id, ""))
            rows.append({"ladder": ladder.id, "rung": rung.id, "label": rung.label,
                         "threshold": rung.threshold.label, "role": rung.role, "action": rung.action,
                         "reached": hit.date.isoformat() if hit else None,
                         "due": hit.due.isoformat() if hit else None, "done": key in done})
    return rows


# --------------------------------------------------------------------------- demo data

DEMO_REASONS = ("厌学", "外出打工", "家中农忙", "生病（已请假）", "监护人不重视", "无法联系")


def make_demo_absences(workspace: Workspace, plan: Any, rng: Any) -> None:
    """Absences for the demo township: a dozen pupils, some back after a few days, some on leave, some
    still away, so that ``kbtui escalation due`` and the 劝返 screen show work to do."""
    try:
        calendar = absences_service.calendar_of(workspace)
        profile_ladders(workspace)
    except EscalationError:
        return
    if not calendar.terms:
        return
    pupils = [r for r in plan.records if r.get("school") and not r.get("status") and r.get("grade")
              and r["id_number"] in workspace.store]
    if not pupils:
        return
    term_start, term_end = calendar.terms[0]
    days = list(calendar.school_days(term_start, term_end))
    if len(days) < 40:
        return
    for n, record in enumerate(rng.sample(pupils, min(12, len(pupils)))):
        start = days[rng.randrange(10, len(days) - 25)]
        kind = n % 4
        reason = DEMO_REASONS[n % len(DEMO_REASONS)]
        try:
            if kind == 0:      # back after a few days
                absences_service.add_absence(workspace, record["id_number"], start, days=rng.randint(2, 4),
                                             reason=reason, reported_by="班主任")
            elif kind == 1:    # on leave, then away without leave
                absences_service.add_absence(workspace, record["id_number"], start, days=2, excused=True,
                                             reason="生病（已请假）", reported_by="班主任")
                later = calendar.nth_school_day(start, 3)
                if later is not None:
                    absences_service.add_absence(workspace, record["id_number"], later, reason=reason,
                                                 reported_by="班主任")
            else:              # still away
                absences_service.add_absence(workspace, record["id_number"], start, reason=reason,
                                             reported_by="班主任")
        except EscalationError:
            continue

