"""The early-warning list: ``kbtui risk list | show | export | assign | visit | case | factors | trend``."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import TOWN_HELP, VILLAGE_HELP, print_json, with_workspace
from kbtui.cli.escalation_cmds import DATE
from kbtui.domain.normalize import NormalizeError
from kbtui.domain.risk import RiskError
from kbtui.services.lookup import EscalationError
from kbtui.services.risk import risk as risk_service
from kbtui.services.risk import risk_export as export_service
from kbtui.services.risk import risk_trend as trend_service
from kbtui.services.risk import risk_work as work_service
from kbtui.services.workspace import Workspace


class risk_errors:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and isinstance(exc, (RiskError, EscalationError, NormalizeError)) \
                and not isinstance(exc, click.ClickException):
            raise click.ClickException(str(exc))
        return False


def filters(fn):
    for option in reversed((
        click.option("--village", default=None, help=VILLAGE_HELP),
        click.option("--town", default=None, help=TOWN_HELP),
        click.option("--school", default=None, help="只看一所学校。"),
        click.option("--person", default=None, help="只看某位责任人（政府线或教育线）或结对帮扶人的儿童。"),
        click.option("--level", default=None, help="只看一个预警等级（如：高）。"),
        click.option("--on", "on", type=DATE, default=None, help="按哪一天计算（默认今天）。"),
    )):
        fn = option(fn)
    return fn


@cli.group()
def risk() -> None:
    """辍学风险预警：按配置的预警因素给排查范围内的儿童评分，列出预警名单并安排结对帮扶、家访和立案。"""


@risk.command("list")
@filters
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def risk_list(workspace: Workspace, village, town, school, person, level, on, as_json) -> None:
    """列出预警名单：等级、评分和主要因素，风险最高的在前。"""
    with risk_errors():
        found = risk_service.risk_list(workspace, on, village=village, town=town, school=school, person=person,
                                       level=level)
    if as_json:          # masked for the operator by print_json / echo, as every listing
        print_json({"date": found.today.isoformat(), "campaign": found.campaign, "counts": found.counts(),
                    "by_village": found.by_village(), "children": [e.as_dict() for e in found.entries],
                    "warnings": found.warnings})
        return
    for warning in found.warnings:
        click.secho(f"警告：{warning}", fg="yellow", err=True)
    if not found.entries:
        click.echo(f"{found.today} 没有达到预警等级的儿童（已评 {found.scored} 人；{found.levels_text()}）")
        return
    for entry in found.entries:
        r = entry.record
        helper = f"  帮扶：{entry.helper_name}" if entry.helper_name else ""
        work = f"  {entry.work_text()}" if entry.work_text() else ""
        click.echo(f"【{entry.level}】{entry.result.score:>3}分  {r.get('name', '')}（{r['id_number']}）"
                   f"{r.get('village') or ''} {r.get('school') or ''}{r.get('grade') or ''}"
                   f"  {entry.factors_text('，')}{helper}{work}")
    click.echo(f"{found.summary()}（{found.today}；{found.levels_text()}）")


@risk.command("show")
@click.argument("id_number")
@click.option("--on", "on", type=DATE, default=None, help="按哪一天计算（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def risk_show(workspace: Workspace, id_number, on, as_json) -> None:
    """逐项说明一名儿童的预警评分（不在名单上的也可查看）。"""
    with risk_errors():
        entry = risk_service.child_risk(workspace, id_number, on)
    if as_json:
        print_json({**entry.as_dict(), "listed": entry.result.listed})
        return
    for line in risk_service.explain(entry):
        click.echo(line)
    if not entry.result.listed:
        click.echo("未达到预警等级，不在预警名单上")


@risk.command("export")
@filters
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="导出文件（.xlsx，默认存入数据目录的 exports）。")
@with_workspace
def risk_export(workspace: Workspace, village, town, school, person, level, on, output) -> None:
    """导出预警名单（可打印的 Excel 表：标题、填报单位、序号、表尾签字栏）。"""
    with risk_errors():
        path, rows = export_service.export_list(workspace, output or export_service.default_export_path(workspace, on),
                                              on, village=village, town=town, school=school, person=person,
                                              level=level)
    click.echo(f"已导出预警名单 {rows} 人：{path}")


@risk.command("assign")
@click.argument("id_number")
@click.argument("helper")
@click.option("--note", default="", help="帮扶内容或说明。")
@click.option("--on", "on", type=DATE, default=None, help="开始帮扶的日期（默认今天）。")
@with_workspace
def risk_assign(workspace: Workspace, id_number, helper, note, on) -> None:
    """安排结对帮扶：帮扶人写姓名（人员名单中有重名时写 姓名@单位；写“无”结束帮扶）。"""
    with risk_errors():
        doc = work_service.assign_helper(workspace, id_number, "" if helper in ("无", "-") else helper,
                                         note=note, on=on)
    if doc.get("helper"):
        unit = f"（{doc['unit']}）" if doc.get("unit") else ""
        click.echo(f"已安排结对帮扶：{doc['name']} ← {doc['helper']}{unit}，自 {doc['since']} 起")
    else:
        click.echo(f"已结束 {doc['name']} 的结对帮扶")


@risk.command("visit")
@click.argument("id_number")
@click.option("--due", type=DATE, required=True, help="家访期限。")
@click.option("--visitor", default="", help="家访人（默认结对帮扶人，其次教育线、政府线责任人）。")
@click.option("--note", default="", help="说明。")
@click.option("--on", "on", type=DATE, default=None, help="今天的日期（默认今天）。")
@with_workspace
def risk_visit(workspace: Workspace, id_number, due, visitor, note, on) -> None:
    """安排家访：生成一项走访任务（在 kbtui tasks 和任务界面中可见，录入走访后自动完成）。"""
    with risk_errors():
        doc = work_service.plan_visit(workspace, id_number, due, visitor=visitor, note=note, today=on)
    click.echo(f"已安排家访：{doc['name']}，{doc['due'][:10]} 前，家访人：{doc.get('visitor') or '未定'}")


@risk.command("case")
@click.argument("id_number")
@click.option("--persuader", default="", help="劝返责任人（默认结对帮扶人）。")
@click.option("--reason", default="", help="原因（规定的辍学原因之一，可不填）。")
@click.option("--on", "on", type=DATE, default=None, help="立案日期（默认今天）。")
@with_workspace
def risk_case(workspace: Workspace, id_number, persuader, reason, on) -> None:
    """提前立案：为预警儿童建立案卷（一生一案），不必等到缺课达到劝返流程的门槛。"""
    with risk_errors():
        case = work_service.open_early_case(workspace, id_number, today=on, persuader=persuader, reason=reason)
    click.echo(f"已立案 {case['key']}：{case['name']}（{case['opened_how']}）")


@risk.command("factors")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def risk_factors(workspace: Workspace, as_json) -> None:
    """列出本配置使用的预警因素、权重和参数，以及预警等级。"""
    with risk_errors():
        settings = risk_service.settings(workspace)
    owners = {name: p.name for p in workspace.plugins.plugins for name in p.registers.get("预警因素", [])}
    used = {s.factor.id for s in settings.factors}
    if as_json:
        print_json({"levels": dict(settings.levels),
                    "factors": [{"id": s.factor.id, "label": s.factor.label, "plugin": owners.get(s.factor.id, ""),
                                 "params": dict(s.params), "description": s.factor.description,
                                 "source": s.factor.source} for s in settings.factors],
                    "disabled": [f for f in workspace.risk_factors if f not in used]})
        return
    click.echo("预警等级：" + "，".join(f"{name} ≥ {threshold} 分" for name, threshold in settings.levels))
    for s in settings.factors:
        params = "，".join(f"{k}={v}" for k, v in s.params.items() if k not in ("enabled",))
        click.echo(f"{s.factor.id}  {s.factor.label}（{owners.get(s.factor.id, '')}）：{s.factor.description}")
        click.echo(f"    {params}")
        if s.factor.source:
            click.echo(f"    依据：{s.factor.source}")
    off = [f for f in workspace.risk_factors if f not in used]
    if off:
        click.echo("未启用：" + "、".join(off))


@risk.command("trend")
@click.option("--weeks", type=click.IntRange(2, 52), default=trend_service.TREND_WEEKS, help="看几周（默认8周）。")
@click.option("--on", "on", type=DATE, default=None, help="截至哪一天（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def risk_trend(workspace: Workspace, weeks, on, as_json) -> None:
    """逐周的预警人数（每周最后一天按当时的缺课、复学和走访记录重新计算）。"""
    with risk_errors():
        trend = trend_service.weekly_trend(workspace, on or dt.date.today(), weeks)
    if as_json:
        print_json(trend)
        return
    for week in trend:
        counts = "，".join(f"{name} {n}" for name, n in week["counts"].items())
        click.echo(f"{week['date']}  {week['total']:>4} 人（{counts}）")
    for line in trend_service.trend_lines(trend):
        click.echo(line)
