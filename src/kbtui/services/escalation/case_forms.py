"""Printable forms of a case: the legal documents of the ladder (责令限期改正通知书, 督促监护令, the request to
the county) and the 劝返情况记录 workbook; each written as a journaled, private export."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.domain import roles as R
from kbtui.excel.saving import save_text
from kbtui.services.access import access, disclosure, gate
from kbtui.services.escalation import escalation
from kbtui.services.escalation.cases import find_case, ledger_extra, note_document, status_label
from kbtui.services.lookup import EscalationError, parse_day

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

DOCUMENT_SUFFIXES = (".xlsx", ".txt")      # a legal document: a printable workbook or plain text

__all__ = ["document_steps", "document_text", "write_document", "write_case_record"]


def _cn(day: dt.date | str | None) -> str:
    if not day:
        return "    年  月  日"
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日"


def _child_line(record: dict) -> str:
    parts = [record.get("name", ""), record.get("sex", ""), f"身份证号 {record.get('id_number', '')}"]
    if record.get("birth_date"):
        parts.append(f"{_cn(record['birth_date'])}出生")
    return "，".join(p for p in parts if p)


def _school_line(record: dict) -> str:
    return "".join(record.get(k) or "" for k in ("school", "grade", "class_name")) or "（学校）"


def document_steps(workspace: Workspace) -> list[tuple[str, Any, Any]]:
    """(ladder id, ladder, rung) of every rung that produces a document, the profile's ladders first."""
    seen = set()
    result = []
    ladders = []
    try:
        ladders = escalation.profile_ladders(workspace)
    except EscalationError:
        pass
    for ladder in ladders + list(workspace.ladders.values()):
        for rung in ladder.rungs:
            if rung.document and (ladder.id, rung.id) not in seen:
                seen.add((ladder.id, rung.id))
                result.append((ladder.id, ladder, rung))
    return result


def document_text(workspace: Workspace, case: dict, step: str, on: dt.date) -> tuple[str, list[str], Any]:
    """(title, paragraphs, rung) of a legal document for the case."""
    steps = document_steps(workspace)
    ladder_id, _, rung_id = step.rpartition(":")
    matches = [(lid, ladder, rung) for lid, ladder, rung in steps
               if (rung.id == rung_id or rung.document == rung_id) and (not ladder_id or lid == ladder_id)]
    if not matches:
        names = "、".join(f"{r.id}（{r.document}）" for _l, _ld, r in steps) or "（无）"
        raise EscalationError(f"没有名为“{step}”的文书步骤，可用的有：{names}")
    _lid, ladder, rung = matches[0]
    record = access.export_record(workspace, workspace.store.get(case["id_number"])
                                  or {"id_number": case["id_number"]})
    profile = workspace.profile
    town = f"{profile.township}人民政府"
    guardian = record.get("guardian") or "（监护人）"
    phone = record.get("guardian_phone") or ""
    address = record.get("current_address") or record.get("household_address") or ""
    deadline = on + dt.timedelta(days=rung.notice_days) if rung.notice_days else None
    attempts = case.get("attempts") or []
    refused = case.get("legal_start")
    extra = ledger_extra(workspace)
    started = extra["absence_start"].get(case["id_number"]) or case.get("opened_on")
    facts = (f"你的子女（被监护人）{_child_line(record)}，系{_school_line(record)}学生"
             f"{'，住' + address if address else ''}。该生自{_cn(started)}起无正当理由未到校接受义务教育，"
             f"学校和镇村干部已劝返{len(attempts)}次"
             + (f"，你于{_cn(refused)}明确拒绝送其返校" if refused else "") + "。")
    previous = {d.get("step"): d for d in case.get("documents") or []}
    if rung.id == "order" or rung.document == "责令限期改正通知书":
        body = [
            f"{guardian}（监护人{('，联系电话 ' + phone) if phone else ''}）：",
            facts,
            "依照《中华人民共和国义务教育法》第五条、第十一条和第五十八条的规定，适龄儿童、少年的父母或者"
            "其他法定监护人无正当理由未依照本法规定送适龄儿童、少年入学接受义务教育的，由当地乡镇人民政府"
            "或者县级人民政府教育行政部门给予批评教育，责令限期改正。",
            f"现责令你于{_cn(deadline)}前将{record.get('name', '')}送回{_school_line(record)}就读，"
            "并配合学校做好复学工作。逾期不改正的，将报请司法机关依法发放督促监护令；情节严重的，依法追究法律责任。",
        ]
        issuer = town
    elif rung.id == "supervision" or rung.document == "督促监护令":
        order = previous.get("order")
        body = [
            f"{guardian}（监护人{('，联系电话 ' + phone) if phone else ''}）：",
            facts,
            (f"{town}已于{_cn(order['date'])}向你下达责令限期改正通知书（限{_cn(order.get('deadline'))}前改正），"
             if order else f"{town}已责令你限期改正，") + "你逾期仍未送其返校。",
            "依照《中华人民共和国义务教育法》《中华人民共和国未成年人保护法》《中华人民共和国家庭教育促进法》"
            "的规定，现督促你依法履行监护职责，"
            f"于{_cn(deadline)}前送{record.get('name', '')}返校就读，保证其完成义务教育。",
            "拒不履行的，将依法追究法律责任。",
        ]
        issuer = f"{profile.township}司法所"
    else:
        body = [
            f"{profile.county or ''}司法局、{profile.county or ''}教育局：",
            f"{record.get('name', '')}（{_child_line(record)}）的监护人{guardian}"
            f"{('（住' + address + '）') if address else ''}，经批评教育、责令限期改正和督促监护令，"
            f"仍拒不送子女返校接受义务教育（已劝返{len(attempts)}次）。",
            "依照《中华人民共和国义务教育法》第五十八条等规定，特提请依法追究其法律责任。",
            "附：劝返情况记录、责令限期改正通知书、督促监护令（复印件）。",
        ]
        issuer = town
    body.append("")
    body.append(f"{issuer}（盖章）")
    body.append(_cn(on))
    body.append("")
    body.append("送达人：              受送达人（签名）：              送达日期：    年  月  日")
    return rung.document or rung.label, body, (rung, deadline)


class DocumentNeedsConfirmation(EscalationError):
    """A legal document whose facts are missing from the case (no persuasion recorded): issued only when
    confirmed (``force``). ``warnings`` say what is missing, in Chinese."""

    def __init__(self, warnings: list[str]):
        super().__init__("；".join(warnings) + "。确认仍要制发，请再次确认（命令行加 --force）")
        self.warnings = warnings


def document_warnings(workspace: Workspace, key: str, step: str, on: dt.date | str | None = None) -> list[str]:
    """What a document for the case would state without the case showing it (Chinese), [] when nothing.
    Asked before issuing: a role that may not issue documents is refused here already."""
    gate.require(workspace, R.WRITE, "制发法律文书")
    case = find_case(workspace, key)
    title, _body, _rung = document_text(workspace, case, step, parse_day(on))
    warnings = []
    if not case.get("attempts"):
        warnings.append(f"案卷 {case['key']}（{case.get('name', '')}）中没有任何劝返记录，《{title}》将写明"
                        f"“已劝返0次”。请先用 kbtui case attempt（界面 F8 的 A）记录每次劝返")
    return warnings


def write_document(workspace: Workspace, key: str, step: str, path: str | Path, on: dt.date | str | None = None,
                   *, force: bool = False) -> Path:
    """Write the legal step's document for the case as a printable .xlsx (or .txt) and note it on the case.

    Issuing a document is a change to the case (roles that may not change data are refused before anything
    is written); the file is an export: private, journaled, with who/what/scope/when in its properties.
    A document the case does not back (``document_warnings``: no persuasion recorded) raises
    DocumentNeedsConfirmation unless ``force``."""
    gate.require(workspace, R.WRITE, "制发法律文书")
    case = find_case(workspace, key)
    day = parse_day(on)
    warnings = document_warnings(workspace, key, step, day)
    if warnings and not force:
        raise DocumentNeedsConfirmation(warnings)
    title, body, (rung, deadline) = document_text(workspace, case, step, day)
    target = Path(path)

    def write(properties: dict[str, str]) -> int:
        if target.suffix.lower() in (".txt", ".text"):
            save_text(title + "\n\n" + "\n".join(body) + "\n", target)
        else:
            _write_letter(target, title, body, properties)
        return 1

    access.export_file(workspace, title, target, write, properties={"subject": "法律文书"},
                       detail={"case": case["key"], "step": rung.id}, suffixes=DOCUMENT_SUFFIXES)
    note_document(workspace, case, {"step": rung.id, "title": title, "date": day.isoformat(),
                                    "deadline": deadline.isoformat() if deadline else None,
                                    "file": str(target)})
    # issuing the document is the step's action
    try:
        escalation.record_done(workspace, case["id_number"], rung.id, on=day, note=f"已制发{title}")
    except EscalationError:
        pass      # not reached by the legal ladder (yet), or already recorded
    return target


def _write_letter(target: Path, title: str, body: list[str], properties: dict[str, str]) -> None:
    from kbtui.excel.documents import write_letter  # heavy: imported where used (openpyxl)

    write_letter(target, title, body, properties)


def write_case_record(workspace: Workspace, key: str, path: str | Path, today: dt.date | None = None) -> Path:
    """The 劝返情况记录 workbook of one case: the child, reason, support plan, persuader, every attempt,
    the rungs reached with dates and the outcome, with the usual footer. An export: ID and phone numbers
    masked for roles that may not see them, private, journaled, who/what/scope/when in its properties."""
    from kbtui.excel.documents import Document  # heavy: imported where used (openpyxl)

    found = find_case(workspace, key)
    record = access.export_record(workspace, workspace.store.get(found["id_number"])
                                  or {"id_number": found["id_number"]})
    case = disclosure.presenter(workspace, disclosure.EXPORT).data(found)     # the numbers in its notes too
    profile = workspace.profile
    today = today or dt.date.today()
    form = Document("劝返情况记录", (6, 14, 14, 12, 34, 20))

    def put(r: int, c: int, value: Any, *, bold: bool = False, span: int = 1, framed: bool = True) -> None:
        form.put(r, c, value, bold=bold, span=span, framed=framed)

    form.put(1, 1, f"{profile.township}义务教育阶段学生劝返情况记录", size=16, bold=True, span=6,
            horizontal="center", wrap=False)
    put(2, 1, f"填报单位：{profile.township}    案卷编号：{case['key']}    填报日期：{_cn(today)}", span=6,
        framed=False)
    row = 3
    support = "、".join(case.get("support_plan") or [])
    info = [
        ("学生姓名", record.get("name", ""), "身份证号", record.get("id_number", "")),
        ("性别", record.get("sex", ""), "出生日期", record.get("birth_date", "")),
        ("就读学校", record.get("school", ""), "年级班级",
         f"{record.get('grade') or ''}{record.get('class_name') or ''}"),
        ("户籍地址", record.get("household_address", ""), "现住址", record.get("current_address", "")),
        ("监护人", record.get("guardian", ""), "联系电话", record.get("guardian_phone", "")),
        ("辍学原因", case.get("reason", ""), "劝返责任人", case.get("persuader", "")),
        ("立案日期", case.get("opened_on", ""), "立案方式", case.get("opened_how", "")),
        ("帮扶措施", support, "当前状态", status_label(case)),
    ]
    for a, b, c, d in info:
        put(row, 1, a, bold=True, span=2)
        put(row, 3, b)
        put(row, 4, c, bold=True)
        put(row, 5, d, span=2)
        row += 1
    row += 1

    def section(row: int, title: str, headers: tuple[str, ...], lines: list[tuple], empty: str = "") -> int:
        """A titled table of the record: its header row, one row per line; returns the next free row."""
        put(row, 1, title, bold=True, span=6, framed=False)
        for col, header in enumerate(headers, 1):
            put(row + 1, col, header, bold=True)
        row += 2
        for values in lines:
            for col, value in enumerate(values, 1):
                put(row, col, value)
            row += 1
        if not lines and empty:
            put(row, 1, empty, span=6)
            row += 1
        return row

    attempts = []
    for n, attempt in enumerate(case.get("attempts") or [], 1):
        note = attempt.get("note", "")
        if attempt.get("refused"):
            note = ("监护人拒绝送返；" + note).rstrip("；")
        attempts.append((n, attempt["date"], attempt["by"], attempt["how"], attempt["result"], note))
    row = section(row, "劝返记录", ("序号", "劝返日期", "劝返人", "方式", "劝返结果", "备注"), attempts,
                  empty="（尚无劝返记录）")
    docs = {d.get("step"): d for d in case.get("documents") or []}
    rungs = []
    for n, rung in enumerate(case.get("rungs") or [], 1):
        ladder = workspace.ladders.get(rung["ladder"])
        doc = docs.get(rung["rung"])
        rungs.append((n, rung["date"], ladder.title if ladder else rung["ladder"], rung.get("label", rung["rung"]),
                      f"{doc['title']}（{doc['date']}）" if doc else "", ""))
    row = section(row + 1, "逐级处置", ("序号", "到达日期", "流程", "步骤", "文书", ""), rungs)
    row += 1
    outcome = case.get("outcome") or ("劝返复学" if case.get("returned_on") else "劝返中")
    put(row, 1, "处理结果", bold=True, span=2)
    put(row, 3, f"{outcome}" + (f"；复学日期 {case['returned_on']}，复学学校 {case.get('return_school', '')}"
                                if case.get("returned_on") else "")
        + (f"；{case['closed_on']} 动态销号" if case.get("closed_on") else ""), span=4)
    row += 2
    put(row, 1, "填表人：            审核人：            联系电话：            "
        f"填表日期：{_cn(today)}", span=6, framed=False)

    def write(properties: dict[str, str]) -> int:
        form.save(path, "劝返情况记录", properties)
        return 1

    access.export_file(workspace, "劝返情况记录", path, write, properties={"subject": "劝返情况记录"},
                       detail={"case": case["key"]})
    return Path(path)
