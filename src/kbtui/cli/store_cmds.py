"""``kbtui store``: where the data live; ``migrate`` moves a township's data folder into the district database."""
from __future__ import annotations

from pathlib import Path

import click

from kbtui.cli import cli
from kbtui.cli.common import print_json, with_workspace
from kbtui.services.access import backup, migration
from kbtui.services.workspace import Workspace


@cli.group("store")
def store_group() -> None:
    """数据存放：把乡镇数据目录迁入区县的 PostgreSQL 数据库。"""


@store_group.command("migrate")
@click.option("--to", "url", required=True, metavar="URL",
              help="区县数据库地址（区县教育局的账号，如 postgresql://kbtui_district@服务器/数据库）；"
                   "密码放在环境变量 KBTUI_DATABASE_PASSWORD 或 ~/.pgpass 中。")
@click.option("--town", default=None, help="迁入后所属的镇（乡、街道），默认为配置中的乡镇名。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@with_workspace
def migrate_cmd(workspace: Workspace, url: str, town: str | None, as_json: bool) -> None:
    """把本数据目录的儿童、名单和日志迁入区县数据库（先校验；一次完成，失败则数据库不变；本目录不改动）。"""
    report = migration.migrate(workspace, url, town)
    if as_json:
        print_json(report.as_dict())
        return
    click.echo(f"已把 {report.source} 迁入 {report.town}：日志 {report.journal_lines} 条，"
               f"儿童 {report.source_children} 名"
               f"（新迁入 {report.inserted} 名，与其他乡镇相同 {len(report.same_elsewhere)} 名），"
               f"其他记录 {report.documents} 条；迁移后 {report.town} 的日志共 {report.chain_after} 条，校验通过")
    if report.conflicts:
        click.echo(f"有 {len(report.conflicts)} 名儿童已在其他乡镇登记且信息不同，保留原记录，"
                   "迁入的记录存入“来源冲突”待区县核实：")
        for conflict in report.conflicts:
            click.echo(f"- 身份证号 {conflict.id_number}：已在 {conflict.kept_town or '（未分镇）'} 登记")


@store_group.command("export-key")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--admin-url", default=None, metavar="URL",
              help="数据库管理员账号的地址（默认取环境变量 KBTUI_DATABASE_ADMIN_URL 或配置 [store] admin_url）。")
@with_workspace
def export_key_cmd(workspace: Workspace, file: Path, admin_url: str | None) -> None:
    """把区县数据库的日志签名密钥写到一个新文件（0600），另行离线保管：服务器损坏后恢复到新数据库时用 --key 指定它。"""
    key_id = backup.export_key(workspace, file, admin_url)
    click.echo(f"已把签名密钥（编号 {key_id}）写到 {file}：请像保管公章一样离线保管，不要放在服务器上或备份旁边")
