"""``kbtui ledger list | export | import``: the ledgers (台账) out as printable forms, and back in."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import TOWN_HELP, VILLAGE_HELP, InputFile, OutputFile, print_json, with_workspace
from kbtui.services.reporting.ledger_catalog import LedgerError, list_ledgers
from kbtui.services.reporting.ledger_export import export_ledger
from kbtui.services.reporting.ledger_import import apply_ledger_import, plan_ledger_import
from kbtui.services.workspace import Workspace

BAR_MIN_ROWS = 2000
SHOWN = 200


@cli.group()
def ledger() -> None:
    """台账：列出、导出为可打印的 Excel 表、导入线下填写后的台账。"""


@ledger.command("list")
@click.option("--village", default=None, help=VILLAGE_HELP)
@click.option("--town", default=None, help=TOWN_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def list_(workspace: Workspace, village: str | None, town: str | None, as_json: bool) -> None:
    """列出本配置启用的台账及人数。"""
    try:
        infos = list_ledgers(workspace, village, town)
    except LedgerError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        print_json({"ledgers": [i.as_dict() for i in infos]})
        return
    if not infos:
        click.echo("本配置没有启用任何台账。")
    for info in infos:
        click.echo(f"{info.id:<22} {info.rows:>6} 人  {info.title}")


@ledger.command("export")
@click.argument("ledger_id", metavar="ID")
@click.option("-o", "--output", type=OutputFile(), default=None,
              help="导出的文件（.xlsx）；默认写入数据目录 exports/ 下。")
@click.option("--village", default=None, help=VILLAGE_HELP)
@click.option("--town", default=None, help=TOWN_HELP)
@click.option("--level", default=None, help="只导出已通过该级核查的记录（村/校核查、镇核查、县复核）；默认全部。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@with_workspace
def export(workspace: Workspace, ledger_id: str, output: Path | None, village: str | None, town: str | None,
           level: str | None, as_json: bool) -> None:
    """把台账 ID 导出为可打印的 Excel 表（标题、填报单位、日期、表头冻结、页脚）。"""
    bar = None
    done = [0]

    def progress(n: int, total: int | None) -> None:
        nonlocal bar
        if as_json or not total or total < BAR_MIN_ROWS:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="导出", file=sys.stderr)
            bar.__enter__()
        bar.update(n - done[0])
        done[0] = n

    try:
        result = export_ledger(workspace, ledger_id, output, village=village, progress=progress, level=level,
                               town=town)
    except LedgerError as err:
        raise click.ClickException(str(err)) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:
        print_json(result.as_dict())
        return
    click.echo(f"已导出《{result.title}》{result.rows} 人：{result.path}")


@ledger.command("import")
@click.argument("file", type=InputFile(exists=True))
@click.option("--yes", "-y", is_flag=True, help="不询问，直接导入。")
@click.option("--dry-run", is_flag=True, help="只显示将会修改的内容，不保存。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（需与 --yes 或 --dry-run 同用）。")
@with_workspace
def import_(workspace: Workspace, file: Path, yes: bool, dry_run: bool, as_json: bool) -> None:
    """导入线下填写后的台账：先逐人列出将修改的内容（项目：原值 → 新值），确认后保存并记入日志。

    身份证号对不上（为空、无效、系统中没有、与姓名不符）的行只报告，不猜测；导出后系统中已被他人
    改过的同一项也不覆盖。空白单元格不会清除系统中已有的内容。
    """
    if as_json and not (yes or dry_run):
        raise click.UsageError("--json 需要同时使用 --yes（直接导入）或 --dry-run（只查看）")
    try:
        plan = plan_ledger_import(workspace, file)
    except LedgerError as err:
        raise click.ClickException(str(err)) from None
    if not as_json:
        click.echo(f"《{plan.title}》（{plan.ledger_id}）“{file.name}”：共 {plan.rows} 行，"
                   f"将修改 {len(plan.updates)} 人，无变化 {plan.unchanged} 人，问题 {len(plan.problems)} 处。")
        for update in plan.updates[:SHOWN]:
            click.echo("  " + update.text())
        if len(plan.updates) > SHOWN:
            click.echo(f"  …另有 {len(plan.updates) - SHOWN} 人")
        if plan.problems:
            click.echo("未导入：")
            for problem in plan.problems[:SHOWN]:
                click.echo("  " + problem.text())
        for note in plan.notes[:20]:
            click.echo(("提示：" + note.message) if note.row == 0 else "提示：" + note.text())
    if dry_run or not plan.updates:
        if as_json:
            print_json(plan.as_dict())
        elif not plan.updates:
            click.echo("没有需要导入的修改。")
        return
    if not yes and not click.confirm(f"确认导入以上 {len(plan.updates)} 人的修改？", default=False):
        click.echo("已取消，未做任何修改。")
        return
    apply_ledger_import(workspace, plan)
    if as_json:
        print_json(plan.as_dict())
        return
    refused = f"，{plan.refused} 人未导入（见上）" if plan.refused else ""
    click.echo(f"已导入 {plan.applied} 人的修改{refused}。")
    for problem in plan.problems[-plan.refused:] if plan.refused else []:
        click.echo("  " + problem.text())
