"""Absences, ladders and cases: ``kbtui absence …``, ``kbtui escalation …``, ``kbtui case …``."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import (
    InputFile,
    OutputFile,
    echo_town_subtotals,
    print_json,
    stdin_is_terminal,
    warn,
    with_workspace,
)
from kbtui.domain.escalation import SUPPORT_KINDS
from kbtui.domain.normalize import NormalizeError, parse_date
from kbtui.domain.status import DROPOUT_REASONS
from kbtui.services.escalation import absences as absence_service
from kbtui.services.escalation import attendance_sheets, case_forms
from kbtui.services.escalation import cases as case_service
from kbtui.services.escalation import escalation as escalation_service
from kbtui.services.lookup import EscalationError
from kbtui.services.workspace import Workspace


class DateType(click.ParamType):
    name = "日期"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(value)
        except NormalizeError as err:
            self.fail(str(err), param, ctx)


DATE = DateType()


class escalation_errors:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if (exc is not None and isinstance(exc, (EscalationError, KeyError))
                and not isinstance(exc, click.ClickException)):
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            raise click.ClickException(str(message))
        return False


# --------------------------------------------------------------------------- absence

@cli.group()
def absence() -> None:
    """缺课记录：登记缺课、记录返校、导入缺课名单。"""


@absence.command("add")
@click.argument("id_number")
@click.option("--from", "start", required=True, type=DATE, help="缺课开始日期。")
@click.option("--days", type=click.IntRange(1), help="缺课上课日数（已知长度；不填表示仍未返校）。")
@click.option("--until", type=DATE, help="缺课最后一天（之后已返校）。")
@click.option("--hours", type=click.IntRange(1), help="缺课小时数（按每个上课日24小时折算）。")
@click.option("--excused", is_flag=True, help="已履行请假手续（请假的日子不计入）。")
@click.option("--reason", default="", help="缺课原因。")
@click.option("--reported-by", default="", help="报告人（如班主任姓名）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def absence_add(workspace: Workspace, id_number, start, days, until, hours, excused, reason, reported_by,
                as_json) -> None:
    """登记一名儿童的缺课。"""
    with escalation_errors():
        doc = absence_service.add_absence(workspace, id_number, start, days=days, until=until, hours=hours,
                                          excused=excused, reason=reason, reported_by=reported_by)
    if as_json:
        print_json(doc)
        return
    length = (f"{days}个上课日" if days else f"至{until}" if until else f"{hours}小时" if hours else "至今未返校")
    click.echo(f"已登记：{doc['name']} 自 {doc['start']} 起缺课，{length}"
               + ("（已请假）" if excused else ""))


@absence.command("return")
@click.argument("id_number")
@click.option("--on", "on", required=True, type=DATE, help="返校日期（当天已到校）。")
@click.option("--school", default=None, help="复学学校（有案卷时记入劝返复学，默认原就读学校）。")
@with_workspace
def absence_return(workspace: Workspace, id_number, on, school) -> None:
    """记录儿童返校：结束其未返校的缺课；如有案卷，同时记为劝返复学。"""
    with escalation_errors():
        docs = case_service.record_absence_return(workspace, id_number, on, school=school)
    click.echo(f"已记录返校（{on}），结束缺课记录 {len(docs)} 条")


@absence.command("list")
@click.argument("id_number", required=False)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def absence_list(workspace: Workspace, id_number, as_json) -> None:
    """列出缺课记录（可只看一名儿童）。"""
    docs = (absence_service.absences_of(workspace, id_number) if id_number
            else sorted(absence_service.collection(workspace).all(), key=lambda d: (d["start"], d["name"])))
    if as_json:
        print_json(docs)
        return
    for d in docs:
        length = (f"{d['days']}天" if d.get("days") else f"至{d['until']}" if d.get("until")
                  else f"{d['hours']}小时" if d.get("hours") else "")
        back = f"，{d['returned_on']}返校" if d.get("returned_on") else ("" if length else "，未返校")
        click.echo(f"{d['start']}  {d['name']}（{d['id_number']}）{length}{back}"
                   f"{'  请假' if d.get('excused') else ''}  {d.get('reason') or ''}")
    click.echo(f"共 {len(docs)} 条")


@absence.command("import")
@click.argument("path", type=InputFile(exists=True))
@click.option("--month", default=None, help="考勤表的年月（如 2025-09；标题中写明年月时不必填）。")
@click.option("--school", default=None, help="考勤表的学校（标题中写明学校时不必填）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def absence_import(workspace: Workspace, path: Path, month, school, as_json: bool) -> None:
    """导入缺课：缺课名单（列：身份证号、姓名、缺课开始日期、缺课天数、是否请假、原因、报告人），
    或学校的考勤表（一个班一个月，每天一列：√ 到校，缺 缺课，假、病、事 请假）。"""
    with escalation_errors():
        result = attendance_sheets.import_file(workspace, path, month=month, school=school)
    if isinstance(result, absence_service.AbsenceImport):
        summary = {"rows": result.rows, "added": len(result.added), "rejected": len(result.rejects),
                   "rejects_file": str(result.rejects_path) if result.rejects_path else None}
        if as_json:
            print_json(summary)
            return
        click.echo(f"读取 {result.rows} 行，登记缺课 {len(result.added)} 条，未导入 {len(result.rejects)} 行")
    else:
        if as_json:
            print_json(result.summary())
            return
        for sheet in result.sheets:
            through = f"，记录到 {sheet.recorded_through}" if sheet.recorded_through else "，尚无记录"
            click.echo(f"考勤表“{sheet.sheet}”：{sheet.month} {sheet.school}{sheet.class_name}，"
                       f"学生 {sheet.pupils} 人{through}")
        click.echo(f"读取 {result.rows} 行，登记缺课 {len(result.added)} 条，记录返校 {len(result.returned)} 人，"
                   f"已导入过 {result.unchanged} 条，未导入 {len(result.rejects)} 行")
    if result.rejects_path:
        click.echo(f"未导入的行及原因见：{result.rejects_path}")


# --------------------------------------------------------------------------- escalation

@cli.group()
def escalation() -> None:
    """劝返流程：查看到期事项、推进流程、记录已完成的处置、生成法律文书。"""


@escalation.command("due")
@click.option("--on", "on", type=DATE, default=None, help="查看哪一天的到期事项（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def escalation_due(workspace: Workspace, on, as_json) -> None:
    """列出某天到期或逾期的处置事项：儿童、步骤、责任人和期限。"""
    on = on or dt.date.today()
    with escalation_errors():
        actions = escalation_service.due_actions(workspace, on)
    if as_json:
        print_json([a.as_dict() for a in actions])
        return
    if not actions:
        click.echo(f"{on} 没有到期的处置事项")
        return
    for a in actions:
        flag = "【逾期】" if a.overdue else "【到期】"
        who = f"{a.role}{'（' + a.person + '）' if a.person else ''}"
        click.echo(f"{flag}{a.name}（{a.id_number}）{a.ladder_title}·{a.rung_label}：{a.action}"
                   f"  责任：{who}  期限：{a.due}")
    overdue = sum(1 for a in actions if a.overdue)
    echo_town_subtotals(workspace, (a.id_number for a in actions), "项")
    click.echo(f"共 {len(actions)} 项，其中逾期 {overdue} 项（{on}）")


@escalation.command("advance")
@click.option("--on", "on", type=DATE, default=None, help="推进到哪一天（默认今天）。")
@with_workspace
def escalation_advance(workspace: Workspace, on) -> None:
    """按劝返流程推进：到达门槛的标注疑似辍学/辍学，到达立案步骤的建立案卷（可重复执行）。"""
    with escalation_errors():
        report = escalation_service.advance(workspace, on or dt.date.today())
    click.echo(report.summary())


@escalation.command("done")
@click.argument("id_number")
@click.argument("rung")
@click.option("--on", "on", type=DATE, default=None, help="完成日期（默认今天）。")
@click.option("--by", "by", default="", help="完成人。")
@click.option("--note", default="", help="处置情况。")
@with_workspace
def escalation_done(workspace: Workspace, id_number, rung, on, by, note) -> None:
    """记录某一步骤的处置已完成（步骤为步骤编号，或 流程:步骤，如 shuangcheng:teacher-3）。"""
    ladder, _, rung_id = rung.rpartition(":")
    with escalation_errors():
        doc = escalation_service.record_done(workspace, id_number, rung_id, ladder=ladder or None, on=on,
                                             by=by, note=note)
    click.echo(f"已记录完成：{escalation_service.rung_text(workspace, doc['ladder'], doc['rung'])}（{doc['done_on']}）")


@escalation.command("ladders")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def escalation_ladders(workspace: Workspace, as_json) -> None:
    """列出本配置使用的劝返流程及每一步的门槛、责任人和处置。"""
    with escalation_errors():
        ladders = escalation_service.profile_ladders(workspace)
    data = [{"id": ladder.id, "title": ladder.title, "trigger": ladder.trigger,
             "rungs": [{"id": r.id, "label": r.label, "threshold": r.threshold.label, "role": r.role,
                        "action": r.action, "deadline_days": r.deadline_days, "on_fail": r.on_fail,
                        "marks": r.marks, "opens_case": r.opens_case, "document": r.document}
                       for r in ladder.rungs]} for ladder in ladders]
    if as_json:
        print_json(data)
        return
    for ladder in data:
        click.echo(f"{ladder['title']}（{ladder['id']}）")
        for r in ladder["rungs"]:
            extra = "".join([f"，标注{r['marks']}" if r["marks"] else "", "，立案" if r["opens_case"] else "",
                             f"，文书：{r['document']}" if r["document"] else ""])
            click.echo(f"  {r['id']}  {r['threshold']}  {r['role']}：{r['action']}（{r['deadline_days']}日内{extra}）")


@escalation.command("document")
@click.argument("case_key")
@click.argument("step")
@click.option("-o", "--output", "output", required=True, type=OutputFile(suffixes=(".xlsx", ".txt")),
              help="输出文件（.xlsx 或 .txt）。")
@click.option("--on", "on", type=DATE, default=None, help="文书日期（默认今天）。")
@click.option("--force", is_flag=True, help="案卷中没有劝返记录等情况时也照样制发（不再询问）。")
@with_workspace
def escalation_document(workspace: Workspace, case_key, step, output, on, force: bool) -> None:
    """生成依法控辍文书（步骤：order 责令限期改正通知书、supervision 督促监护令、liability 追究法律责任函）。

    案卷中没有劝返记录时先提示：在终端中询问是否仍要制发，否则须加 --force。"""
    with escalation_errors():
        warnings = [] if force else case_forms.document_warnings(workspace, case_key, step, on)
        if warnings:
            warn(warnings)
            if not stdin_is_terminal():
                raise click.ClickException("未制发文书。确认仍要制发，请加 --force")
            click.confirm("仍要制发吗？", default=False, abort=True)
        path = case_forms.write_document(workspace, case_key, step, output, on, force=True)
    click.echo(f"已生成：{path}")


# --------------------------------------------------------------------------- case

@cli.group()
def case() -> None:
    """一生一案：立案、记录劝返、劝返复学、动态销号。"""


def _case_line(c: dict) -> str:
    return (f"{c['key']}  {c['name']}（{c['id_number']}）{case_service.status_label(c)}  立案 {c['opened_on']}"
            f"  劝返 {len(c.get('attempts') or [])} 次  责任人 {c.get('persuader') or '未定'}")


@case.command("list")
@click.option("--all", "show_all", is_flag=True, help="包括已销号的案卷。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def case_list(workspace: Workspace, show_all, as_json) -> None:
    """列出案卷（默认只列未销号的）。"""
    cases = [c for c in case_service.all_cases(workspace) if show_all or c.get("status") != "closed"]
    if as_json:
        print_json(cases)
        return
    for c in cases:
        click.echo(_case_line(c))
    echo_town_subtotals(workspace, (c["id_number"] for c in cases), "件")
    click.echo(f"共 {len(cases)} 件")


@case.command("show")
@click.argument("case_key")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def case_show(workspace: Workspace, case_key, as_json) -> None:
    """查看一件案卷（案卷为案卷编号、编号开头几位或儿童身份证号）。"""
    with escalation_errors():
        c = case_service.find_case(workspace, case_key)
    if as_json:
        print_json(c)
        return
    click.echo(_case_line(c))
    click.echo(f"原因：{c.get('reason') or '未填'}  帮扶措施：{'、'.join(c.get('support_plan') or []) or '未填'}")
    click.echo(f"立案方式：{c.get('opened_how')}")
    for r in c.get("rungs") or []:
        click.echo(f"  到达 {r['date']}  "
                   f"{escalation_service.rung_text(workspace, r['ladder'], r['rung'], r.get('label'))}")
    for a in c.get("attempts") or []:
        click.echo(f"  劝返 {a['date']}  {a['by']}  {a['how']}："
                   f"{a['result']}{'（拒绝送返）' if a.get('refused') else ''}")
    for d in c.get("documents") or []:
        click.echo(f"  文书 {d['date']}  {d['title']}" + (f"（限期至 {d['deadline']}）" if d.get("deadline") else ""))
    if c.get("returned_on"):
        click.echo(f"劝返复学：{c['returned_on']}  {c.get('return_school', '')}")
    if c.get("closed_on"):
        click.echo(f"动态销号：{c['closed_on']}  {c.get('outcome', '')}")


_REASON_HELP = "辍学原因，可选：" + "、".join(DROPOUT_REASONS)
_SUPPORT_HELP = "帮扶措施，可重复，如：" + "、".join(SUPPORT_KINDS)


@case.command("open")
@click.argument("id_number")
@click.option("--on", "on", type=DATE, default=None, help="立案日期（默认今天）。")
@click.option("--reason", default="", help=_REASON_HELP)
@click.option("--support", multiple=True, help=_SUPPORT_HELP)
@click.option("--persuader", default="", help="劝返责任人。")
@with_workspace
def case_open(workspace: Workspace, id_number, on, reason, support, persuader) -> None:
    """为一名儿童手动立案（一生一案）。"""
    with escalation_errors():
        c = case_service.open_case(workspace, id_number, on=on, reason=reason, support=support,
                                   persuader=persuader)
    click.echo(f"已立案：{c['key']}（{c['name']}）")


@case.command("edit")
@click.argument("case_key")
@click.option("--reason", default=None, help=_REASON_HELP)
@click.option("--support", multiple=True, help=_SUPPORT_HELP)
@click.option("--persuader", default=None, help="劝返责任人。")
@with_workspace
def case_edit(workspace: Workspace, case_key, reason, support, persuader) -> None:
    """修改案卷的原因、帮扶措施或劝返责任人。"""
    with escalation_errors():
        c = case_service.update_case(workspace, case_key, reason=reason, support=support or None,
                                     persuader=persuader)
    click.echo(f"已修改：{c['key']}")


@case.command("attempt")
@click.argument("case_key")
@click.option("--on", "on", type=DATE, default=None, help="劝返日期（默认今天）。")
@click.option("--by", "by", default="", help="劝返人（默认操作员）。")
@click.option("--how", default="家访", show_default=True, help="方式：家访、电话、约谈、双线联合劝返……")
@click.option("--result", required=True, help="劝返结果。")
@click.option("--refused", is_flag=True, help="监护人拒不送子女返校（启动依法控辍流程）。")
@click.option("--rung", default=None, help="本次劝返完成的处置步骤（步骤编号或 流程:步骤）。")
@click.option("--note", default="", help="备注。")
@with_workspace
def case_attempt(workspace: Workspace, case_key, on, by, how, result, refused, rung, note) -> None:
    """记录一次劝返（日期、劝返人、方式、结果）。"""
    with escalation_errors():
        c = escalation_service.add_attempt(workspace, case_key, on=on, by=by, how=how, result=result,
                                           refused=refused, rung=rung, note=note)
    click.echo(f"已记录第 {len(c['attempts'])} 次劝返：{c['key']}（{c['name']}）")


@case.command("return")
@click.argument("case_key")
@click.option("--on", "on", type=DATE, required=True, help="复学日期。")
@click.option("--school", default="", help="复学学校（默认原就读学校）。")
@with_workspace
def case_return(workspace: Workspace, case_key, on, school) -> None:
    """劝返复学：记录复学日期和学校（之后用 kbtui case close 动态销号）。"""
    with escalation_errors():
        c = case_service.record_return(workspace, case_key, on, school=school)
    click.echo(f"已记录劝返复学：{c['name']} {c['returned_on']} 复学于 {c['return_school']}")


@case.command("close")
@click.argument("case_key")
@click.option("--on", "on", type=DATE, default=None, help="销号日期（默认今天）。")
@click.option("--outcome", default="", help="未复学时写明结果（如：经评估免予入学、户籍迁出）。")
@with_workspace
def case_close(workspace: Workspace, case_key, on, outcome) -> None:
    """动态销号：结案（案卷保留在历史中）。"""
    with escalation_errors():
        c = case_service.close_case(workspace, case_key, on, outcome=outcome)
    click.echo(f"已销号：{c['key']}（{c['name']}）{c['outcome']}")


@case.command("record")
@click.argument("case_key")
@click.option("-o", "--output", "output", type=OutputFile(), default=None,
              help="输出文件（默认在数据目录 exports/ 下）。")
@with_workspace
def case_record(workspace: Workspace, case_key, output) -> None:
    """导出一件案卷的劝返情况记录（Excel）。"""
    with escalation_errors():
        c = case_service.find_case(workspace, case_key)
        target = output or workspace.folder("exports") / f"劝返情况记录-{c['name']}-{c['key']}.xlsx"
        path = case_forms.write_case_record(workspace, c["key"], target)
    click.echo(f"已导出：{path}")
