"""``kbtui report list | show | export``: reports (报表) such as 统计表 and 附件3, with totals."""
from __future__ import annotations

from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import TOWN_HELP, VILLAGE_HELP, OutputFile, print_json, with_workspace
from kbtui.domain.report import ReportError
from kbtui.services.reporting.reports import build_report, export_report, list_reports, preview_text
from kbtui.services.workspace import Workspace


@cli.group()
def report() -> None:
    """报表：按村或学校汇总的统计表（附件3、统计表、辍学情况报告、比对报告等），预览或导出为 Excel。"""


@report.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def list_(workspace: Workspace, as_json: bool) -> None:
    """列出本配置启用的报表。"""
    infos = list_reports(workspace)
    if as_json:
        print_json({"reports": [i.as_dict() for i in infos]})
        return
    if not infos:
        click.echo("本配置没有启用任何报表。")
    for info in infos:
        click.echo(f"{info.id:<28} {info.title}")


@report.command("show")
@click.argument("report_id", metavar="ID")
@click.option("--village", default=None, help=VILLAGE_HELP)
@click.option("--town", default=None, help=TOWN_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出各行数值。")
@with_workspace
def show(workspace: Workspace, report_id: str, village: str | None, town: str | None, as_json: bool) -> None:
    """在终端预览报表 ID（各行数值、合计和表下说明）。"""
    try:
        built = build_report(workspace, report_id, village=village, town=town)
    except ReportError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        print_json(built.as_dict())
        return
    click.echo(preview_text(built))


@report.command("export")
@click.argument("report_id", metavar="ID")
@click.option("-o", "--output", type=OutputFile(), default=None,
              help="导出的文件（.xlsx）；默认写入数据目录 exports/ 下。")
@click.option("--village", default=None, help=VILLAGE_HELP)
@click.option("--town", default=None, help=TOWN_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@with_workspace
def export(workspace: Workspace, report_id: str, output: Path | None, village: str | None, town: str | None,
           as_json: bool) -> None:
    """把报表 ID 导出为可打印的 Excel 表（合计为求和公式，表下注明各比率的计算方法）。"""
    try:
        result = export_report(workspace, report_id, output, village=village, town=town)
    except ReportError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        print_json(result.as_dict())
        return
    click.echo(f"已导出《{result.title}》{result.rows} 行：{result.path}")
