"""``kbtui placement …``: disabled children's assessment, placement, home delivery and exemption roster."""
from __future__ import annotations

import datetime as dt

import click

from kbtui.cli import cli
from kbtui.cli.common import echo_town_subtotals, print_json, with_workspace
from kbtui.domain.child import display
from kbtui.domain.disability_info import CATEGORIES, GRADES, SOURCES
from kbtui.domain.disability_placement import CONCLUSIONS
from kbtui.services.children.town_totals import town_subtotals
from kbtui.services.disability import placement_check as pc
from kbtui.services.disability import placements as pl
from kbtui.services.workspace import Workspace


def _on(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(pl.parse_day(value, "日期")) if value else None


def _fields(pairs: tuple[str, ...]) -> dict[str, str]:
    fields = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise pl.PlacementError(f"--field “{pair}”应写成 字段=值，例如 center=县康复中心")
        fields[key.strip()] = value.strip()
    return fields


@cli.group()
def placement() -> None:
    """残疾儿童：专家委员会评估、入学安置、送教上门记录、免予入学名册和待办检查。"""


@placement.command("options")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def options_cmd(workspace: Workspace, as_json: bool) -> None:
    """列出已登记的安置方式（按专家委员会的优先顺序）及其规则和证明材料。"""
    rows = [{"name": o.name, "situation": o.situation, "order": o.order, "kind": o.kind,
             "description": o.description, "fields": dict(o.fields), "evidence": list(o.evidence),
             "rules": [{"id": r.id, "message": r.message, "refuse": r.refuse} for r in o.requires]}
            for o in pl.options(workspace)]
    if as_json:
        print_json({"options": rows})
        return
    for row in rows:
        click.echo(f"{row['name']}（情况：{row['situation']}）{row['description']}")
        for rule in row["rules"]:
            click.echo(f"    {'必须' if rule['refuse'] else '提醒'}：{rule['message']}")
        if row["fields"]:
            click.echo("    字段：" + "、".join(f"{k}（{v}）" for k, v in row["fields"].items()))


@placement.command("disability")
@click.argument("id_number")
@click.option("--category", help=f"残疾类别：{'、'.join(CATEGORIES)}。")
@click.option("--grade", help=f"残疾等级：{'、'.join(GRADES)}。")
@click.option("--certificate", help="残疾证号。")
@click.option("--source", help=f"信息来源：{'、'.join(SOURCES)}。")
@with_workspace
def disability_cmd(workspace: Workspace, id_number: str, category, grade, certificate, source) -> None:
    """登记或更正儿童的残疾信息（类别、等级、残疾证号、来源）。"""
    record = pl.set_disability(workspace, id_number, category=category, grade=grade,
                               certificate=certificate, source=source)
    click.echo(f"已登记 {record.get('name')} 的残疾信息：{record.get('disability_category')}"
               f"{record.get('disability_grade') or ''}，来源 {record.get('disability_source') or '未填'}")


@placement.command("assess")
@click.argument("id_number")
@click.option("--date", "date", required=True, help="评估日期。")
@click.option("--members", required=True, multiple=True, help="专家委员会参加成员，逗号或顿号分隔，可重复。")
@click.option("--conclusion", required=True, help=f"评估结论：{'、'.join(CONCLUSIONS)}。")
@click.option("--recommend", help="建议安置方式（默认按结论：能在普通学校学习→随班就读 …）。")
@click.option("--review", help="复评日期。")
@click.option("--note", default="", help="备注。")
@with_workspace
def assess_cmd(workspace: Workspace, id_number: str, date: str, members: tuple[str, ...], conclusion: str,
               recommend: str | None, review: str | None, note: str) -> None:
    """登记县残疾人教育专家委员会的评估：日期、成员、结论、建议安置方式、复评日期。"""
    doc = pl.assess(workspace, id_number, date=date, members=members, conclusion=conclusion,
                    recommend=recommend, review=review, note=note)
    click.echo(f"已登记评估（{doc['date']}）：{doc['conclusion']}，建议{doc['recommend']}"
               + (f"，{doc['review_date']} 复评" if doc.get("review_date") else ""))


@placement.command("set")
@click.argument("id_number")
@click.argument("option")
@click.option("--school", default="", help="安置学校；送教上门为送教学校（学籍所在学校）；机构教学班为机构名称。")
@click.option("--teachers", default="", help="送教（辅导）教师，逗号或顿号分隔。")
@click.option("--plan", default="", help="教学计划（送教上门须填写）。")
@click.option("--start", help="送教开始日期（默认为安置日期）。")
@click.option("--date", "date", help="安置日期（默认今天）。")
@click.option("--review", help="复评日期（默认取评估的复评日期）。")
@click.option("--evidence", multiple=True, help="已具备的证明材料名称，可重复，如 --evidence 送教上门协议书。")
@click.option("--field", "fields", multiple=True, help="安置方式自有的字段，字段=值，可重复。")
@click.option("--note", default="", help="备注。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def set_cmd(workspace: Workspace, id_number: str, option: str, school: str, teachers: str, plan: str,
            start: str | None, date: str | None, review: str | None, evidence: tuple[str, ...],
            fields: tuple[str, ...], note: str, as_json: bool) -> None:
    """按安置方式（随班就读、送教上门、免予入学 …）安置儿童；不符合必须的规则时拒绝，其余给出提醒。"""
    decision = pl.place(workspace, id_number, option, school=school, teachers=teachers, plan=plan,
                        start=start, date=date, review=review, evidence=evidence, fields=_fields(fields),
                        note=note)
    if as_json:
        print_json({"placement": decision.doc, "flags": [f.message for f in decision.flags]})
        return
    click.echo(f"已安置为“{decision.option.name}”（情况：{decision.option.situation}，{decision.doc['date']}）")
    for finding in decision.flags:
        click.secho(f"提醒：{finding.message}", fg="yellow")


@placement.command("session")
@click.argument("id_number")
@click.option("--date", "date", required=True, help="送教日期。")
@click.option("--teacher", required=True, help="送教教师。")
@click.option("--periods", required=True, help="课时数。")
@click.option("--content", default="", help="送教内容。")
@with_workspace
def session_cmd(workspace: Workspace, id_number: str, date: str, teacher: str, periods: str, content: str) -> None:
    """登记一次送教上门：日期、教师、课时、内容。"""
    doc = pl.log_session(workspace, id_number, date=date, teacher=teacher, periods=periods, content=content)
    record = workspace.store.get(doc["id_number"]) or {}
    totals = record.get("home_delivery") or {}
    click.echo(f"已登记送教：{doc['date']} {doc['teacher']} {doc['periods']}课时；"
               f"本安置累计 {totals.get('sessions', 0)} 次 {totals.get('periods', 0)} 课时")


@placement.command("sessions")
@click.argument("id_number", required=False)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def sessions_cmd(workspace: Workspace, id_number: str | None, as_json: bool) -> None:
    """送教记录：一名儿童的（不给身份证号则全部送教上门儿童的）当前送教安置下的每次送教。"""
    if id_number:
        children = [pl.find_child(workspace, id_number)]
    else:
        children = [i.record for i in pc.disabled_children(workspace) if pl.is_home_delivery(workspace, i.placement)]
    rows = []
    for record in children:
        placement_doc = pl.current_placement(workspace, record["id_number"])
        for s in pl.sessions_of(workspace, record["id_number"], (placement_doc or {}).get("key")):
            rows.append({"id_number": record["id_number"], "name": record.get("name"), "date": s["date"],
                         "teacher": s.get("teacher"), "periods": s.get("periods"), "content": s.get("content", "")})
    if as_json:
        print_json({"sessions": rows, "count": len(rows)})
        return
    for row in rows:
        click.echo(f"{row['name']}  {row['date']}  {row['teacher']}  {row['periods']}课时  {row['content']}")
    echo_town_subtotals(workspace, (row["id_number"] for row in rows), "次")
    click.echo(f"共 {len(rows)} 次送教")


@placement.command("list")
@click.option("--on", "on", help="按哪一天计算（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def list_cmd(workspace: Workspace, on: str | None, as_json: bool) -> None:
    """适龄残疾儿童：安置方式、评估、复评日期和是否达标。"""
    items = pc.disabled_children(workspace, _on(on))
    if as_json:
        by_town = town_subtotals(workspace, (i.record["id_number"] for i in items))
        print_json({"children": [i.as_dict() for i in items], "summary": pc.summary(workspace, _on(on)),
                    **({"by_town": by_town} if by_town else {})})
        return
    for item in items:
        r = item.record
        click.echo(f"{r.get('name')}（{r['id_number']}）{r.get('village') or ''} "
                   f"{r.get('disability_category') or ''}{r.get('disability_grade') or ''}  "
                   f"{item.option}  {(item.placement or {}).get('school', '')}  【{item.compliance}】")
    data = pc.summary(workspace, _on(on))
    echo_town_subtotals(workspace, (i.record["id_number"] for i in items), "人")
    click.echo(f"适龄残疾儿童 {data['children']} 人；按安置："
               + "，".join(f"{k} {v}" for k, v in data["by_option"].items())
               + "；按达标：" + "，".join(f"{k} {v}" for k, v in data["by_compliance"].items()))


@placement.command("check")
@click.option("--on", "on", help="检查哪一天（默认今天），如 --on 2024-11-30。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def check_cmd(workspace: Workspace, on: str | None, as_json: bool) -> None:
    """待办：无安置、无评估、复评到期、送教次数落后于本地规定、缺少证明材料的适龄残疾儿童。"""
    day = _on(on) or dt.date.today()
    actions = pc.check(workspace, day)
    if as_json:
        print_json({"on": day.isoformat(), "actions": [a.as_dict() for a in actions], "count": len(actions)})
        return
    if not actions:
        click.echo(f"截至 {day}，适龄残疾儿童的安置和送教均无待办事项。")
        return
    for a in actions:
        click.echo(f"【{a.kind}】{a.name}（{a.id_number}，{a.village}）{a.message} —— 责任人：{a.responsible}")
    echo_town_subtotals(workspace, (a.id_number for a in actions), "项")
    click.echo(f"共 {len(actions)} 项待办（截至 {day}）")


@placement.command("roster")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def roster_cmd(workspace: Workspace, as_json: bool) -> None:
    """免予入学名册：经专家委员会评估认定暂不具备学习条件的儿童。"""
    rows = []
    for record, doc, assessment in pc.roster(workspace):
        rows.append({"id_number": record["id_number"], "name": record.get("name"),
                     "village": record.get("village"), "disability": display(record, "disability_category")
                     + display(record, "disability_grade"),
                     "date": doc.get("date"), "assessment_date": (assessment or {}).get("date", ""),
                     "conclusion": (assessment or {}).get("conclusion", ""),
                     "members": (assessment or {}).get("members", []), "review_date": doc.get("review_date", "")})
    if as_json:
        print_json({"roster": rows, "count": len(rows)})
        return
    click.echo("免予入学名册")
    for n, row in enumerate(rows, 1):
        click.echo(f"{n}. {row['name']}（{row['id_number']}）{row['village'] or ''} {row['disability']}  "
                   f"评估 {row['assessment_date']} {row['conclusion']}  复评 {row['review_date'] or '未定'}")
    echo_town_subtotals(workspace, (row["id_number"] for row in rows), "人")
    click.echo(f"共 {len(rows)} 人")


@placement.command("show")
@click.argument("id_number")
@click.option("--on", "on", help="按哪一天计算送教进度（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def show_cmd(workspace: Workspace, id_number: str, on: str | None, as_json: bool) -> None:
    """一名儿童的残疾信息、评估、安置、送教计划和送教记录。"""
    view = pc.child_view(workspace, id_number, _on(on))
    if as_json:
        print_json(view)
        return
    for line in pc.describe_view(view):
        click.echo(line)
