"""Operators, the audit journal, backups: ``operators``, ``audit``, ``backup``, ``restore``."""
from __future__ import annotations

from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import InputFile, Settings, friendly_errors, pass_settings, print_json, with_workspace
from kbtui.domain import roles as R
from kbtui.services.access import audit, disclosure, gate, operator_admin
from kbtui.services.access import backup as backups
from kbtui.services.workspace import Workspace

ROLE_HELP = "角色：" + "、".join(R.ROLES)


# --------------------------------------------------------------------------- operators

@cli.group()
def operators() -> None:
    """操作员：系统用户名（SSH 登录名）、姓名、角色和范围（村或学校）。"""


@operators.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def operators_list(workspace: Workspace, as_json: bool) -> None:
    """列出操作员及其角色、范围。"""
    gate.require(workspace, R.READ)
    found = operator_admin.list_operators(workspace)
    if as_json:
        print_json({"operators": [o.as_dict() for o in found], "current": workspace.account.login})
        return
    for op in found:
        mark = "＊" if op.login == workspace.account.login else "  "
        click.echo(f"{mark}{op.login}  {op.name}  {op.role}  范围：{op.scope_text()}")
    click.echo(f"共 {len(found)} 位操作员（＊为当前操作员）")


@operators.command("add")
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(list(R.ROLES)), help=ROLE_HELP)
@click.option("--name", default=None, help="姓名（默认同系统用户名）。")
@click.option("--village", "villages", multiple=True, help="村干部所管的村（社区），可重复。")
@click.option("--school", "schools", multiple=True, help="学校账号所属学校，可重复。")
@click.option("--town", "towns", multiple=True, help="区县数据：乡镇操作员所管的乡镇（街道），可重复。")
@click.option("--replace", is_flag=True, help="操作员已存在时改为新的设置。")
@with_workspace
def operators_add(workspace: Workspace, login: str, role: str, name: str | None, villages: tuple[str, ...],
                  schools: tuple[str, ...], towns: tuple[str, ...], replace: bool) -> None:
    """添加操作员（仅镇管理员），如：kbtui operators add lisi --role 村干部 --name 李四 --village 高峰村"""
    op = operator_admin.add_operator(workspace, login, name, role, villages, schools, towns, replace=replace)
    click.echo(f"已{'更新' if replace else '添加'}操作员 {op.label()}，范围：{op.scope_text()}")


@operators.command("remove")
@click.argument("login")
@with_workspace
def operators_remove(workspace: Workspace, login: str) -> None:
    """删除操作员（仅镇管理员）。"""
    op = operator_admin.remove_operator(workspace, login)
    click.echo(f"已删除操作员 {op.label()}")


@operators.command("roles")
def operators_roles() -> None:
    """列出角色及其权限。"""
    for role in R.ROLES.values():
        click.echo(R.describe(role))


# --------------------------------------------------------------------------- audit

@cli.group("audit")
def audit_group() -> None:
    """修改日志：校验日志和数据、查看谁在何时改了什么、更换日志密钥。"""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def audit_verify(workspace: Workspace, as_json: bool) -> None:
    """校验修改日志的哈希链：完整则显示条数，否则指出断在哪一条（序号、时间、操作员）。"""
    report = audit.verify(workspace)
    if as_json:
        print_json(report.as_dict())
    else:
        click.echo(report.text())
    if not report.ok:
        raise SystemExit(1)


@audit_group.command("rekey")
@click.option("--reason", default="", help="更换原因，记入日志。")
@click.option("--yes", is_flag=True, help="不再询问，直接更换。")
@with_workspace
def audit_rekey(workspace: Workspace, reason: str, yes: bool) -> None:
    """更换日志签名密钥（原密钥丢失或被他人读到时；仅镇管理员）。此前的日志从此只能按哈希链校验。"""
    if not yes and not click.confirm("更换密钥后，此前的日志只能按哈希链校验，无法再证明没有被能写数据文件的人改写过。"
                                     "确定更换吗？", default=False):
        click.echo("已取消，密钥未更换。")
        return
    done = audit.rekey(workspace, reason)
    click.echo(f"已换用新的日志签名密钥（编号 {done['key']}），记在日志第 {done['seq']} 条；"
               f"此前的 {done['previous_seq']} 条从此只能按哈希链校验")


@audit_group.command("log")
@click.option("--child", default=None, help="只看某个儿童（身份证号）。")
@click.option("--operator", "who", default=None, help="只看某个操作员（系统用户名）。")
@click.option("--action", default=None,
              help="只看某类操作，如 修改、导入名单、导出、走访、核查通过（也可写 update、import、export）。")
@click.option("--since", default=None, help="只看此时间以后，如 2024-09-01。")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1), help="最多显示条数（最新的）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def audit_log(workspace: Workspace, child: str | None, who: str | None, action: str | None, since: str | None,
              limit: int, as_json: bool) -> None:
    """查看修改日志（谁、何时、改了哪个儿童的哪些字段、旧值 → 新值）。"""
    entries = audit.log(workspace, child=child, operator=who, action=action, since=since, limit=limit)
    if as_json:
        print_json({"entries": entries, "count": len(entries)})
        return
    # masked field by field before the lines are made: an old phone number is nobody's any more
    for line in audit.iter_text(disclosure.presenter(workspace).data(entries), workspace):
        click.echo(line)
    click.echo(f"共 {len(entries)} 条")


# --------------------------------------------------------------------------- backups

@cli.command("backup")
@click.option("--keep", default=None, type=click.IntRange(1), help="保留最近几份（默认 10，或配置 [backup] keep）。")
@click.option("--reason", default="手动备份", help="备份原因，记在备份清单和日志里。")
@click.option("--admin-url", default=None, metavar="URL",
              help="区县数据库：数据库管理员账号的地址（超级用户或 kbtui_owner 的成员，默认取环境变量 "
                   "KBTUI_DATABASE_ADMIN_URL 或配置 [store] admin_url；"
                   "密码放在 KBTUI_DATABASE_ADMIN_PASSWORD 或 ~/.pgpass）。")
@click.option("--list", "list_only", is_flag=True, help="只列出已有的备份（时间、原因、人数、大小），不做新备份。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def backup_cmd(workspace: Workspace, keep: int | None, reason: str, admin_url: str | None, list_only: bool,
               as_json: bool) -> None:
    """备份数据目录（儿童数据、日志、附件、配置；区县数据库连同数据库）到 <数据目录>/backups/，保留最近 N 份。"""
    if list_only:
        _list_backups(workspace, as_json)
        return
    info = backups.create_backup(workspace, keep, reason, admin_url=admin_url)
    if as_json:
        print_json(info.as_dict())
        return
    if info.manifest.get("store") == "postgresql":
        database = info.manifest["database"]
        click.echo(f"已备份数据库 {database['name']}（{info.children} 名儿童、{database['documents']} 条其他记录、"
                   f"日志 {info.manifest['journal']['entries']} 条）"
                   f"和数据目录的 {len(info.manifest['files']) - 1} 个文件到 {info.path}")
    else:
        click.echo(f"已备份 {info.children} 名儿童、{len(info.manifest['files'])} 个文件到 {info.path}")
    for path in info.removed:
        click.echo(f"已删除较早的备份 {path.name}")


def _list_backups(workspace: Workspace, as_json: bool) -> None:
    found = backups.list_infos(workspace)
    if as_json:
        print_json({"backups": [b.as_dict() for b in found]})
        return
    for info in found:
        shown = info.as_dict()
        if shown["damaged"]:
            click.echo(f"{info.path.name}  已损坏：{shown['damaged']}")
            continue
        kind = "数据库和数据目录" if shown["store"] == "postgresql" else "数据目录"
        click.echo(f"{info.path.name}  {str(shown['created']).replace('T', ' ')}  {shown['reason']}  {kind}  "
                   f"{shown['children']} 名儿童  {shown['size'] / (1 << 20):.1f} MB")
    click.echo(f"共 {len(found)} 份备份（在 {workspace.root}/backups/）")


@cli.command("restore")
@click.argument("file", type=InputFile(allowed=("backups",), exists=True))
@click.option("--into", required=True, type=click.Path(path_type=Path), help="恢复到的新目录（须为空或不存在）。")
@click.option("--key", "key_file", default=None, type=InputFile(allowed=("journal",)),
              help="备份所属数据目录的日志密钥 journal/journal.key（备份不在其数据目录的 backups/ 下、也不属于 "
                   "--data-dir 时）。")
@click.option("--admin-url", default=None, metavar="URL",
              help="区县数据库的备份：恢复到的数据库，用数据库管理员（超级用户）账号的地址（默认取环境变量 "
                   "KBTUI_DATABASE_ADMIN_URL）。")
@click.option("--replace", is_flag=True,
              help="区县数据库的备份：该数据库已有 kbtui 数据时整体替换它（原数据库改名保留）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@pass_settings
def restore_cmd(settings: Settings, file: Path, into: Path, key_file: Path | None, admin_url: str | None,
                replace: bool, as_json: bool) -> None:
    """把备份恢复到一个空目录并校验（备份清单的签名、每个文件的校验值、日志、数据与日志一致、儿童人数）。不会覆盖现有数据。

    区县数据库的备份同时恢复数据库：先装入一个新数据库并校验，通过后才整体换上，原数据库改名保留。"""
    with friendly_errors():
        report = backups.restore_backup(file, into, settings.operator, key_file=key_file,
                                        data_dir=settings.data_dir, admin_url=admin_url, replace=replace)
    if as_json:
        print_json(report.as_dict())
        return
    signed = "签名相符，" if report.signed else ""
    click.echo(f"已恢复到 {report.into}：{report.children} 名儿童，{report.journal_entries} 条日志，"
               f"{report.files} 个文件，{signed}校验通过（备份于 "
               f"{str(report.manifest.get('created', '')).replace('T', ' ')}）")
    if report.database:
        click.echo(f"数据库 {report.database['name']} 已换成恢复的数据（其他记录 {report.database['documents']} 条）")
        if report.database["kept"]:
            click.echo(f"原数据库已改名为 {report.database['kept']} 保留；核对无误后可由数据库管理员删除"
                       f"（DROP DATABASE {report.database['kept']}）")
    for note in report.notes:
        click.echo(f"注意：{note}")
