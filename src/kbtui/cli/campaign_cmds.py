"""Campaign commands: ``campaign`` (list/new/switch/status), ``people`` (add/list/import), ``assign``, ``tasks``."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import InputFile, print_json, with_workspace
from kbtui.domain import campaign as cp
from kbtui.domain import responsibility as resp
from kbtui.services.campaign import campaigns as campaigns_svc
from kbtui.services.campaign import people as people_svc
from kbtui.services.campaign import responsibility as resp_svc
from kbtui.services.campaign import tasks as tasks_svc
from kbtui.services.campaign.overview import campaign_overview
from kbtui.services.workspace import Workspace


def parse_day(value: str | None) -> dt.date:
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"日期“{value}”应写成 2024-09-20") from None


today_option = click.option("--today", "today_text", default=None, metavar="YYYY-MM-DD",
                            help="按哪一天计算期限（默认今天）。")


# --------------------------------------------------------------------------- campaign

@cli.group()
def campaign() -> None:
    """排查工作（学期、年度）：列出、新建、切换，查看阶段和期限。"""


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def campaign_list(workspace: Workspace, as_json: bool) -> None:
    """列出本数据目录的全部排查工作，标出当前的一项。"""
    current = campaigns_svc.current_campaign_id(workspace)
    items = [{"id": c.id, "title": c.title, "year": c.year, "current": c.id == current,
              "phases": [cp.phase_to_dict(p) for p in c.phases]} for c in campaigns_svc.list_campaigns(workspace)]
    if as_json:
        print_json({"campaigns": items, "current": current})
        return
    for item in items:
        mark = "＊" if item["current"] else "  "
        click.echo(f"{mark}{item['id']}  {item['title']}（{item['year']}年，{len(item['phases'])}个阶段）")
    click.echo("＊ 为当前排查工作")


@campaign.command("new")
@click.argument("campaign_id")
@click.option("--title", default="", help="标题，如“双山镇2025年春期大排查”。")
@click.option("--year", type=int, required=True, help="年度（按该年8月31日计算年龄）。")
@click.option("--phase", "phases", multiple=True, metavar="名称=截止日期",
              help="阶段及截止日期，可重复，如 --phase 入户排查=2025-03-20 或 名称=开始..截止。")
@click.option("--visit-phase", default=None, help="走访任务以哪个阶段的截止日期为期限。")
@click.option("--no-switch", is_flag=True, help="只新建，不切换为当前排查工作。")
@with_workspace
def campaign_new(workspace: Workspace, campaign_id: str, title: str, year: int, phases: tuple[str, ...],
                 visit_phase: str | None, no_switch: bool) -> None:
    """新建一项排查工作（如下一学期），默认并切换为当前。儿童记录保留，核实情况按排查工作分开保存。"""
    try:
        parsed = [cp.parse_phase_arg(p, year) for p in phases]
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--phase") from None
    made = campaigns_svc.new_campaign(workspace, campaign_id, title, year, parsed, visit_phase,
                                      switch=not no_switch)
    click.echo(f"已新建排查工作 {made.id}（{made.title}）" + ("" if no_switch else "，并已切换为当前"))


@campaign.command("switch")
@click.argument("campaign_id")
@with_workspace
def campaign_switch(workspace: Workspace, campaign_id: str) -> None:
    """切换当前排查工作：本次的核实情况存档，换上该项排查工作的核实情况。"""
    changed = campaigns_svc.switch_campaign(workspace, campaign_id)
    click.echo(f"当前排查工作：{campaign_id}（{changed} 条儿童记录已切换）")


@campaign.command("status")
@today_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def campaign_status(workspace: Workspace, today_text: str | None, as_json: bool) -> None:
    """当前排查工作进行到哪个阶段、还剩几天、哪些已过期限、走访任务和核查进度。"""
    data = campaign_overview(workspace, parse_day(today_text))
    if as_json:
        print_json(data)
        return
    click.echo(f"{data['campaign']['title']}（{data['campaign']['id']}）  今天 {data['today']}")
    for phase in data["phases"]:
        end = phase["end"].replace("T", " ").replace(" 23:59", "")
        left = phase["days_left"]
        when = f"剩 {left} 天" if left > 0 else ("今天截止" if left == 0 else f"已过 {-left} 天")
        click.echo(f"  [{phase['state_label']}] {phase['name']}  截止 {end}（{when}）")
    if data["current_phase"]:
        click.echo(f"当前阶段：{data['current_phase']}，剩 {data['days_left']} 天")
    else:
        click.echo("全部阶段均已过期限")
    t = data["tasks"]
    click.echo(f"走访任务：{t['assigned']} 项，已完成 {t['done']}，未完成 {t['open']}，逾期 {t['late']}，"
               f"未分配 {t['unassigned']}")
    levels = "，".join(f"{k} {v}" for k, v in data["checking"].items())
    click.echo(f"核查：{levels}")
    if data["evidence_missing"]:
        click.echo(f"缺少佐证材料：{data['evidence_missing']} 人（kbtui check 查看名单）")


# --------------------------------------------------------------------------- people

@cli.group()
def people() -> None:
    """人员名单：镇村干部、学校教师等，包括职务、单位、电话和包保范围。"""


@people.command("add")
@click.argument("name")
@click.option("--role", required=True, help=f"职务：{'、'.join(resp.ROLES)}（也认“支部书记”“副校长”等）。")
@click.option("--unit", default="", help="单位：村（社区）或学校。")
@click.option("--phone", default="", help="联系电话。")
@click.option("--covers", default="", help="包保范围，用顿号分隔，如“金星村/3组、金星村/4组”或“三年级1班”。")
@with_workspace
def people_add(workspace: Workspace, name: str, role: str, unit: str, phone: str, covers: str) -> None:
    """登记一名工作人员。"""
    person = people_svc.add_person(workspace, name, role, unit, phone, covers)
    click.echo(f"已登记：{people_svc.person_label(person)}")


@people.command("list")
@click.option("--role", default=None, help="只列出此职务。")
@click.option("--unit", default=None, help="只列出此单位。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def people_list(workspace: Workspace, role: str | None, unit: str | None, as_json: bool) -> None:
    """列出人员名单。"""
    found = people_svc.list_people(workspace, role, unit)
    if as_json:
        print_json({"people": [{k: v for k, v in p.items() if not k.startswith("_")} for p in found]})
        return
    for p in found:
        line = resp.LINE_LABELS.get(resp.line_of(p.get("role")), "其他")
        covers = f"  包保：{'、'.join(p['covers'])}" if p.get("covers") else ""
        click.echo(f"{p['name']}  {p['role']}  {p.get('unit') or ''}  {p.get('phone') or ''}  [{line}]{covers}")
    click.echo(f"共 {len(found)} 人")


@people.command("import")
@click.argument("file", type=InputFile(exists=True))
@click.option("--sheet", default=None, help="工作表名称（默认自动查找）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def people_import(workspace: Workspace, file: Path, sheet: str | None, as_json: bool) -> None:
    """从 Excel/CSV 导入人员名单（需有“姓名”“职务”列；同名同单位的人员会被更新）。"""
    result = people_svc.import_people(workspace, file, sheet)
    if as_json:
        print_json(result.as_dict())
        return
    click.echo(f"新增 {result.added} 人，更新 {result.updated} 人，未变 {result.unchanged} 人，"
               f"未导入 {len(result.rejected)} 行")
    for row, reason in result.rejected:
        click.echo(f"  第{row}行：{reason}")


# --------------------------------------------------------------------------- assign

@cli.command()
@click.option("--rule", "by_rule", is_flag=True, help="按配置的规则分配（学校分片包村、双线四包）。")
@click.option("--overwrite", is_flag=True, help="按规则重新分配时覆盖已有的责任人。")
@click.option("--village", default=None, help="村（社区）。")
@click.option("--group", default=None, help="村民小组。")
@click.option("--id", "ids", multiple=True, help="儿童身份证号，可重复。")
@click.option("--gov", default=None, help="政府线责任人（姓名，或 姓名@单位）。")
@click.option("--edu", default=None, help="教育线责任人（姓名，或 姓名@单位）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def assign(workspace: Workspace, by_rule: bool, overwrite: bool, village: str | None, group: str | None,
           ids: tuple[str, ...], gov: str | None, edu: str | None, as_json: bool) -> None:
    """分配双线责任人：按规则（--rule），或手工指定一个村、组或几名儿童（--gov / --edu）。"""
    if by_rule:
        selection = resp_svc.select(workspace, village=village, group=group, ids=ids) \
            if (village or group or ids) else None
        result = resp_svc.assign_by_rule(workspace, selection, overwrite)
        if as_json:
            print_json(result)
            return
        click.echo(f"已按规则分配 {result['changed']} 名儿童；仍缺政府线责任人 {result['unassigned_gov']} 人，"
                   f"缺教育线责任人 {result['unassigned_edu']} 人")
        return
    if not (village or group or ids):
        raise click.UsageError("请用 --rule 按规则分配，或用 --village / --group / --id 选定儿童")
    selection = resp_svc.select(workspace, village=village, group=group, ids=ids)
    changed = resp_svc.assign_by_hand(workspace, selection, gov=gov, edu=edu)
    if as_json:
        print_json({"selected": len(selection), "changed": changed})
        return
    click.echo(f"已选 {len(selection)} 名儿童，更新 {changed} 人的责任人")


# --------------------------------------------------------------------------- tasks

@cli.command()
@click.option("--person", default=None, help="只看此人的任务（姓名）。")
@click.option("--village", default=None, help="只看此村的任务（区县数据中两个乡镇同名的村写作“城头镇新村”）。")
@click.option("--town", default=None, help="区县数据：只看此乡镇（街道）的任务。")
@click.option("--overdue", is_flag=True, help="只列出逾期未完成的任务。")
@today_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def tasks(workspace: Workspace, person: str | None, village: str | None, town: str | None, overdue: bool,
          today_text: str | None, as_json: bool) -> None:
    """走访任务：每人、每村的任务数、已完成、逾期。"""
    tasks_svc.sync_tasks(workspace)
    report = tasks_svc.task_report(workspace, parse_day(today_text), person=person, overdue=overdue,
                                   village=village, town=town)
    if as_json:
        print_json(report)
        return
    deadline = (report["deadline"] or "").replace("T", " ")
    t = report["totals"]
    click.echo(f"走访任务 {t['assigned']} 项：已完成 {t['done']}，未完成 {t['open']}，逾期 {t['late']}"
               + (f"（期限 {deadline}）" if deadline else ""))
    if report["by_town"]:
        click.echo("按乡镇（街道）：")
        for c in report["by_town"]:
            click.echo(f"  {c['town']}  任务 {c['assigned']}  完成 {c['done']}  逾期 {c['late']}"
                       + (f"  未分配 {c['unassigned']}" if c["unassigned"] else ""))
    click.echo("按村：")
    for v in report["by_village"]:
        click.echo(f"  {v['village']}  任务 {v['assigned']}  完成 {v['done']}  逾期 {v['late']}"
                   + (f"  未分配 {v['unassigned']}" if v["unassigned"] else ""))
    click.echo("按人：")
    for p in report["by_person"]:
        click.echo(f"  {p['person']}（{p['line_label']}）  任务 {p['assigned']}  完成 {p['done']}  逾期 {p['late']}")
    if overdue or person:
        click.echo("任务：")
        labels = {"open": "未完成", "late": "逾期", "done": "已完成"}
        for row in report["tasks"]:
            click.echo(f"  [{labels[row['state']]}] {row['name']}（{row['id_number']}）{row['village']}{row['group']}"
                       f"  {row['situation']}  政府线：{row['gov'] or '—'}  教育线：{row['edu'] or '—'}")
