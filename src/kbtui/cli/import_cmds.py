"""``kbtui import SOURCE FILE``: bring a name list into the data folder."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import InputFile, LabelledChoice, Settings, print_json, with_workspace
from kbtui.domain.labels import source_label
from kbtui.excel.errors import ExcelReadError
from kbtui.services.intake.importer import ImportFailed, ImportResult, prepare_import
from kbtui.services.intake.sources import STOCK_SOURCES
from kbtui.services.workspace import Workspace, is_data_folder

BAR_MIN_ROWS = 2000
SHOWN_ISSUES = 10


class _Bar:
    """click.progressbar on stderr for the checking stage of a large file."""

    def __init__(self, enabled: bool, big: bool = False):
        self.enabled = enabled
        self.big = big
        self.bar = None
        self.done = 0
        self.stage = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            if total >= BAR_MIN_ROWS:
                self.bar = click.progressbar(length=total, label=f"{stage}", file=sys.stderr)
                self.bar.__enter__()
                self.done = 0
            elif stage == "读取" and self.big:
                click.echo("正在读取文件…", err=True)
        if self.bar is not None and done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


class SourceChoice(click.ParamType):
    """A kind of list: those the data folder knows (the stock kinds and what its plugins register through
    ``kbtui_register_sources``); without a data folder, the stock kinds. A wrong one lists them all."""

    name = "source"

    def convert(self, value, param, ctx):
        settings = ctx.find_object(Settings) if ctx is not None else None
        if settings is not None and is_data_folder(settings.data_dir):
            labels = {name: source.label for name, source in settings.workspace().sources.items()}
        else:
            labels = {source.name: source.label for source in STOCK_SOURCES}
        return LabelledChoice(labels).convert(value, param, ctx)


@cli.command("import")
@click.argument("source", type=SourceChoice())
@click.argument("file", type=InputFile())
@click.option("--sheet", default=None, help="工作表名称（默认：第一个含所需列的工作表）。")
@click.option("--school", default=None, help="学籍名单没有“学校名称”列时，整份名单所属的学校。")
@click.option("--dry-run", is_flag=True, help="只检查并显示将会导入的内容，不保存。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@with_workspace
def import_(workspace: Workspace, source: str, file: Path, sheet: str | None, school: str | None,
            dry_run: bool, as_json: bool) -> None:
    """导入名单：名单类型见下，文件为 Excel（.xlsx/.xls）或 CSV。

    名单类型：police 派出所户籍名单；school 学校学籍名单；poverty 防返贫监测名单（家庭类型）；
    disability 残联名单；civil 民政名单（孤儿、事实无人抚养、低保、特困）；以及本县插件登记的名单类型
    （kbtui plugins 列出）。

    同一儿童（身份证号相同）只保留一条记录；不同名单对同一项内容说法不一时，保留原值并记为
    “来源冲突”，由 kbtui check 列出。无法导入的行写入数据目录 rejects/ 下的工作簿。
    """
    try:
        big = file.stat().st_size > 1_000_000
    except OSError:
        big = False
    bar = _Bar(enabled=not as_json or sys.stderr.isatty(), big=big)
    try:
        prepared = prepare_import(workspace, source.lower(), file, sheet=sheet,
                                  defaults={"school": school} if school else None, progress=bar)
        result = prepared.preview() if dry_run else prepared.commit()
    except (ImportFailed, ExcelReadError) as err:
        raise click.ClickException(str(err)) from None
    finally:
        bar.close()
    if as_json:
        print_json(result.as_dict())
        return
    _print_summary(result, workspace)


def _print_summary(r: ImportResult, workspace: Workspace) -> None:
    sources = workspace.sources
    label = sources[r.source].label if r.source in sources else source_label(r.source)
    head = "【试导入，未保存】" if r.dry_run else ""
    click.echo(f"{head}{label}“{Path(r.file).name}”工作表“{r.sheet}”，表头在第{r.header_row}行，"
               f"共 {r.rows} 行数据。")
    click.echo("识别的列：" + r.columns_text())
    if r.unmatched_headers:
        click.echo("未使用的列：" + "、".join(r.unmatched_headers))
    verb = "将" if r.dry_run else "已"
    click.echo(f"新增儿童 {r.imported} 人，{verb}更新 {r.updated} 人，无变化 {r.unchanged} 人，"
               f"文件内重复 {r.duplicates} 行，未导入 {r.rejected} 行，部分导入 {r.warned} 行，"
               f"新的来源冲突 {r.conflicts} 项。")
    if r.skipped:
        click.echo("跳过的非数据行：" + "，".join(f"第{n}行{why}" for n, why in r.skipped[:5])
                   + ("…" if len(r.skipped) > 5 else ""))
    problems = [i for i in r.issues]
    for issue in problems[:SHOWN_ISSUES]:
        mark = "（已导入其余内容）" if issue.imported else "（整行未导入）"
        click.echo(f"  {issue.text()}{mark}")
    if len(problems) > SHOWN_ISSUES:
        click.echo(f"  …另有 {len(problems) - SHOWN_ISSUES} 个问题")
    if r.rejects_file:
        click.echo(f"有问题的行已写入：{r.rejects_file}（按“拒收原因”改正后可直接重新导入该文件）")
    if r.conflicts:
        click.echo("来源冲突未覆盖原值，请用 kbtui check 查看并核实。")
    if r.town_conflicts:
        click.echo(f"重复户籍：{r.town_conflicts} 名儿童已在本区其他乡镇（街道）登记，仍为一条记录，"
                   f"乡镇冲突{'将' if r.dry_run else '已'}报区县核查（kbtui check）。")
    if r.dry_run and r.samples:
        click.echo("变化示例：")
        for change in r.samples[:10]:
            click.echo(f"  {change.text()}")
