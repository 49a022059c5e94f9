"""Field-work commands: ``visit`` (record a visit), ``evidence``, ``review`` (checking levels), ``spotcheck``."""
from __future__ import annotations

from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import OutputFile, print_json, with_workspace
from kbtui.domain import checking as chk
from kbtui.services.campaign import checking as checking_svc
from kbtui.services.campaign import evidence as evidence_svc
from kbtui.services.campaign import spotcheck as spot_svc
from kbtui.services.campaign.visits import record_finding
from kbtui.services.workspace import Workspace

HOW_CHOICES = ("入户", "电话", "学校核实", "其他")


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


@cli.command()
@click.argument("id_number")
@click.option("--status", required=True, help="核实情况，如 在籍在校、外地就读、延缓入学、疑似辍学。")
@click.option("--how", type=click.Choice(HOW_CHOICES), default="入户", show_default=True, help="核实方式。")
@click.option("--school", default=None, help="就读学校。")
@click.option("--grade", default=None, help="年级。")
@click.option("--reason", default=None, help="原因（失学辍学原因，或休学、缓学等的原因）。")
@click.option("--date", default=None, help="走访日期（默认今天）。")
@click.option("--visitor", "visitors", multiple=True, help="走访人，可重复（默认为操作员）。")
@click.option("--evidence", "evidence", multiple=True, metavar="说明=文件路径",
              help="佐证材料，可重复；文件会复制到数据目录 attachments/ 下。只写说明表示纸质材料。")
@click.option("--note", default="", help="备注。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出更新后的记录。")
@with_workspace
def visit(workspace: Workspace, id_number: str, status: str, how: str, school: str | None, grade: str | None,
          reason: str | None, date: str | None, visitors: tuple[str, ...], evidence: tuple[str, ...], note: str,
          as_json: bool) -> None:
    """登记一次走访（入户核实）的结果：更新儿童的核实情况并完成其走访任务。"""
    record = record_finding(workspace, id_number, status, school=school, grade=grade, date=date, note=note,
                            how=how, visitors=visitors, evidence=evidence, reason=reason)
    if as_json:
        print_json(_public(record))
        return
    attached = len(record.get("evidence") or [])
    click.echo(f"已登记：{record.get('name')}（{id_number}）{status}，方式：{how}"
               + (f"，佐证材料 {attached} 份" if attached else ""))


@cli.command("evidence")
@click.argument("id_number")
@click.argument("items", nargs=-1, required=True)
@with_workspace
def evidence_cmd(workspace: Workspace, id_number: str, items: tuple[str, ...]) -> None:
    """为儿童当前的核实情况补充佐证材料：每项写成 说明=文件路径（或只写说明）。"""
    record = evidence_svc.add_evidence(workspace, id_number, items)
    click.echo(f"{record.get('name')}（{id_number}）现有佐证材料 {len(record.get('evidence') or [])} 份")


@cli.command()
@click.argument("id_numbers", nargs=-1)
@click.option("--level", required=True, help=f"核查级别：{'、'.join(chk.LEVELS[1:])}。")
@click.option("--reject", default=None, metavar="原因", help="退回并写明原因（退回后须重新核实）。")
@click.option("--village", default=None, help="通过此村全部待该级核查的记录（不写身份证号时）。")
@click.option("--list", "list_only", is_flag=True, help="只列出待该级核查的记录。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def review(workspace: Workspace, id_numbers: tuple[str, ...], level: str, reject: str | None, village: str | None,
           list_only: bool, as_json: bool) -> None:
    """逐级核查核实结果（录入 → 村/校核查 → 镇核查 → 县复核），通过或退回。操作员的职务取自人员名单。"""
    try:
        level = chk.normalize_level(level)
    except chk.CheckingError as err:
        raise click.BadParameter(str(err), param_hint="--level") from None
    if list_only or (not id_numbers and not village):
        waiting = checking_svc.awaiting(workspace, level, village)
        if as_json:
            print_json({"level": level, "awaiting": [_public(r) for r in waiting]})
            return
        for r in waiting:
            click.echo(f"{r.get('name')}（{r['id_number']}）{r.get('village') or ''}{r.get('group') or ''}  "
                       f"{r.get('status') or workspace.context().classify(r).situation}")
        click.echo(f"待“{level}”的记录 {len(waiting)} 条")
        refused = checking_svc.level_problem(workspace, level)
        if refused and level != chk.ENTERED:
            click.echo(f"注意：{refused}")
        return
    if reject is not None:
        if len(id_numbers) != 1:
            raise click.UsageError("退回须逐条进行：请只写一个身份证号")
        record = checking_svc.review(workspace, id_numbers[0], level, reject=reject)
        click.echo(f"已退回：{record.get('name')}（{record['id_number']}）在“{level}”，原因：{reject}")
        return
    ids = list(id_numbers) or [r["id_number"] for r in checking_svc.awaiting(workspace, level, village)]
    if not ids:
        problem = checking_svc.level_problem(workspace, level)
        if problem:
            raise click.ClickException(problem)
        click.echo(f"{village or ''}没有待“{level}”的记录")
        return
    result = checking_svc.review_many(workspace, ids, level)
    if as_json:
        print_json({"level": level, **result})
        return
    skipped = f"，未通过 {len(result['skipped'])} 条：" if result["skipped"] else ""
    click.echo(f"“{level}”通过 {result['passed']} 条{skipped}")
    for item in result["skipped"]:
        click.echo(f"  {item['reason']}")
    if result["skipped"] and not result["passed"]:
        click.get_current_context().exit(1)


@cli.group()
def spotcheck() -> None:
    """专项督导检查：按家庭类型随机抽户、打印督查名单、登记督查结果、列出不一致。"""


@spotcheck.command("draw")
@click.option("--seed", type=int, default=None, help="随机种子（相同种子相同名单；默认按当前时间）。")
@click.option("-o", "--output", type=OutputFile(), default=None,
              help="督查名单 Excel 文件（.xlsx）。")
@click.option("--replace", is_flag=True, help="重新抽取（原名单作废）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def spotcheck_draw(workspace: Workspace, seed: int | None, output: Path | None, replace: bool, as_json: bool) -> None:
    """按配置 [spotcheck] 的户数随机抽取脱贫户、监测户、一般农户。"""
    import time

    seed = seed if seed is not None else int(time.time())
    found = spot_svc.draw(workspace, seed, replace=replace)
    written = spot_svc.export_list(workspace, output) if output else None
    if as_json:
        print_json({"seed": seed, "households": found["households"], "shortfall": found["shortfall"],
                    "output": str(output) if output else None, "rows": written})
        return
    counts: dict[str, int] = {}
    for h in found["households"]:
        counts[h["family_type"]] = counts.get(h["family_type"], 0) + 1
    click.echo("已抽取：" + "，".join(f"{t} {n} 户" for t, n in counts.items()) + f"（随机种子 {seed}）")
    for t, n in found["shortfall"].items():
        click.echo(f"  {t}不足，少 {n} 户")
    if output:
        click.echo(f"督查名单已写入 {output}（{written} 名儿童）")


@spotcheck.command("list")
@click.option("-o", "--output", type=OutputFile(), default=None,
              help="写成 Excel 督查名单。")
@with_workspace
def spotcheck_list(workspace: Workspace, output: Path | None) -> None:
    """显示（或导出）已抽取的督查名单及已登记的督查结果。"""
    if output:
        click.echo(f"督查名单已写入 {output}（{spot_svc.export_list(workspace, output)} 名儿童）")
        return
    for row in spot_svc.screen_rows(workspace):
        click.echo("  ".join(str(v) for v in row[1:10] if v != ""))


@spotcheck.command("record")
@click.argument("id_number")
@click.option("--status", required=True, help="督查核实的情况。")
@click.option("--note", default="", help="备注。")
@click.option("--date", default=None, help="督查日期（默认今天）。")
@with_workspace
def spotcheck_record(workspace: Workspace, id_number: str, status: str, note: str, date: str | None) -> None:
    """登记一名儿童的督查结果，与此前的排查结果对照。"""
    result = spot_svc.record_result(workspace, id_number, status, note=note, date=date)
    verdict = "一致" if result["match"] else f"不一致（排查结果为“{result['earlier']}”）"
    click.echo(f"已登记督查结果：{result['name']}（{id_number}）{status}，{verdict}")


@spotcheck.command("mismatches")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def spotcheck_mismatches(workspace: Workspace, as_json: bool) -> None:
    """列出督查结果与排查结果不一致的儿童。"""
    found = spot_svc.mismatches(workspace)
    if as_json:
        print_json({"mismatches": [_public(r) for r in found], "progress": spot_svc.progress(workspace)})
        return
    for r in found:
        click.echo(f"{r['name']}（{r['id_number']}）{r['village']}{r['group']}：排查“{r['earlier']}”，督查“{r['status']}”"
                   + (f"，{r['note']}" if r.get("note") else ""))
    p = spot_svc.progress(workspace)
    click.echo(f"不一致 {len(found)} 人（抽查 {p['drawn']} 人，已登记 {p['checked']} 人）")
