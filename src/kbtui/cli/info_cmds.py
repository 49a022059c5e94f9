"""Read-only commands: ``plugins``, ``stats``, ``check``."""
from __future__ import annotations

import click

from kbtui.cli import cli
from kbtui.cli.common import Settings, friendly_errors, pass_settings, print_json, warn, with_workspace
from kbtui.plugin_manager import PluginHost
from kbtui.services.children.stats import campaign_stats
from kbtui.services.intake.checks import Problem, run_checks
from kbtui.services.intake.towns import reported_conflicts
from kbtui.services.workspace import Workspace, fill_registries, is_data_folder


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_settings
def plugins(settings: Settings, as_json: bool) -> None:
    """列出已加载的插件、来源（内置 / 已安装 / 插件目录）和登记的内容。"""
    if is_data_folder(settings.data_dir):
        # a data folder: its operator check first, then its plugins (--plugins-dir only for a 镇管理员)
        workspace = settings.workspace()
        host = workspace.plugins
        with friendly_errors():
            workspace.fill_registries()
    elif settings.plugin_dirs:
        # a plugin runs as whoever runs kbtui; without a data folder there is no operator to check
        raise click.ClickException(f"{settings.data_dir} 不是 kbtui 数据目录：--plugins-dir 只能在打开数据目录时"
                                   f"由镇管理员使用。没有数据目录时只列出内置和已安装的插件（去掉 --plugins-dir）")
    else:
        host = PluginHost()                # the installation's own plugins: stock and entry points
        fill_registries(host)
    rows = [{"name": p.name, "origin": p.origin, "location": p.location, "registers": p.registers,
             "error": p.error} for p in host.plugins]
    if as_json:
        print_json({"plugins": rows, "warnings": host.warnings})
    else:
        for row in rows:
            click.echo(f"{row['name']}  [{row['origin']}]  {row['location']}")
            for kind, names in row["registers"].items():
                click.echo(f"    {kind}：{'、'.join(names)}")
            if row["error"]:
                click.secho(f"    未加载：{row['error']}", fg="yellow")
    if settings.has_workspace:
        settings.flush_warnings()          # those not printed when the data folder was opened
    else:
        warn(host.warnings)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def stats(workspace: Workspace, as_json: bool) -> None:
    """统计：儿童人数，按情况、按村、按台账分列，以及待核实人数。"""
    data = campaign_stats(workspace.store.all(), workspace.context(), workspace.ledgers)
    data["profile"] = workspace.profile.name
    data["campaign"] = workspace.profile.title
    if as_json:
        print_json(data)
        return
    click.echo(f"{data['campaign']}")
    click.echo(f"儿童 {data['children']} 人，其中排查范围内 {data['in_campaign']} 人，待核实 {data['pending']} 人")
    click.echo("按情况：" + "，".join(f"{k} {v}" for k, v in data["by_status"].items()))
    if "by_town" in data:          # a district: each town with its villages, the district's total above
        click.echo("按乡镇（街道）：")
        for town, t in data["by_town"].items():
            click.echo(f"  {town}：儿童 {t['children']} 人，排查范围内 {t['in_campaign']} 人，"
                       f"待核实 {t['pending']} 人；"
                       + "，".join(f"{k} {v}" for k, v in t["by_village"].items()))
        click.echo(f"  全区合计：儿童 {data['children']} 人，排查范围内 {data['in_campaign']} 人，"
                   f"待核实 {data['pending']} 人")
    else:
        click.echo("按村：" + "，".join(f"{k} {v}" for k, v in data["by_village"].items()))
    if data["ledgers"]:
        titles = workspace.ledgers
        ctx = workspace.context()
        for lid, n in data["ledgers"].items():
            click.echo(f"台账 {lid}（{titles[lid].title_for(ctx)}）：{n} 人")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def check(workspace: Workspace, as_json: bool) -> None:
    """检查数据问题：身份证号无效、疑似重复、年龄不符、情况与记录矛盾等。"""
    records = list(workspace.store.all())
    problems = run_checks(records, workspace.checks, workspace.check_context())
    problems += [Problem(id_number, name, "乡镇（街道）", message, "town_conflict")
                 for id_number, name, message in reported_conflicts(workspace)]
    if as_json:
        print_json({"problems": [p.as_dict() for p in problems], "count": len(problems)})
        return
    if not problems:
        click.echo(f"已检查 {len(records)} 名儿童，未发现问题。")
        return
    for p in problems:
        click.echo(f"{p.name}（{p.id_number}）【{p.field}】{p.message}")
    click.echo(f"共发现 {len(problems)} 个问题（已检查 {len(records)} 名儿童）。")
