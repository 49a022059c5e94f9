"""Commands that create data folders: ``init`` and ``demo``; and opening the TUI."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click
import orjson

from kbtui.cli import cli
from kbtui.cli.common import Settings, friendly_errors, open_tui, pass_settings, print_json, warn
from kbtui.oserrors import os_error_reason
from kbtui.profiles import find_profile
from kbtui.services.demo import build_demo
from kbtui.services.workspace import META_FILE, Workspace, WorkspaceError, default_data_dir

DEMO_PROFILE = "shuangshan-2024"


@cli.command()
@click.option("--profile", "profile_name", required=True,
              help="配置文件路径，或 config/ 下的配置名（如 shuangshan-2024）。")
@click.option("--database", "database", metavar="URL", default=None,
              help="把儿童、名单和日志存放在区县的 PostgreSQL 数据库中（如 postgresql://用户@服务器/数据库；"
                   "也可用环境变量 KBTUI_DATABASE_URL）。密码不写入数据目录，请放在环境变量 "
                   "KBTUI_DATABASE_PASSWORD 或 ~/.pgpass 中。不指定则存放在数据目录中。")
@pass_settings
def init(settings: Settings, profile_name: str, database: str | None) -> None:
    """按地方配置新建一个空的数据目录。"""
    with friendly_errors():
        path = find_profile(profile_name)
        workspace = Workspace.create(settings.data_dir, path, settings.operator, settings.plugin_dirs,
                                     database=database)
    warn(workspace.warnings)
    where = f"，数据存放在数据库 {workspace.raw_store.location}" if workspace.backend != "tinydb" else ""
    click.echo(f"已创建数据目录 {workspace.root}（配置：{workspace.profile.title}，"
               f"创建人：{settings.operator}{where}）")


def _demo_dir(settings: Settings) -> Path:
    return settings.data_dir if settings.data_dir_given else default_data_dir() / "demo"


@cli.command()
@click.option("--children", default=1500, show_default=True, type=click.IntRange(1, 200_000),
              help="生成的儿童人数。")
@click.option("--seed", default=2024, show_default=True, help="随机种子：种子相同，数据相同。")
@click.option("--profile", "profile_name", default=DEMO_PROFILE, show_default=True, help="使用的地方配置。")
@click.option("--no-tui", is_flag=True, help="只生成数据，不打开界面。")
@click.option("--reset", is_flag=True, help="演示目录已存在时，删除后重新生成。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@pass_settings
def demo(settings: Settings, children: int, seed: int, profile_name: str, no_tui: bool, reset: bool,
         as_json: bool) -> None:
    """生成一个虚构乡镇的演示数据（默认双山镇2024年秋期，约1500名儿童），并打开界面。"""
    root = _demo_dir(settings)
    meta = root / META_FILE
    if meta.exists():
        is_demo = orjson.loads(meta.read_bytes()).get("demo")
        if not is_demo:
            raise click.ClickException(f"{root} 是正式数据目录，演示数据不能写入；请用 --data-dir 指定一个新目录")
        if not reset:
            click.echo(f"演示数据已存在：{root}（加 --reset 可重新生成）")
            if not no_tui:
                with friendly_errors():
                    open_tui(settings, Workspace.open(root, settings.operator, settings.plugin_dirs,
                                                      load_children=False))
            return
    if root.exists() and reset:
        shutil.rmtree(root)
    with friendly_errors():
        path = find_profile(profile_name)
        workspace = _build_demo(root, path, settings, children, seed)
    summary = {"data_dir": str(root), "children": len(workspace.store), "seed": seed,
               "profile": workspace.profile.name}
    if as_json:
        print_json(summary)
    else:
        click.echo(f"已生成演示数据：{summary['children']} 名儿童，目录 {root}")
    if not no_tui:
        open_tui(settings, workspace)


def _build_demo(root: Path, profile_path: Path, settings: Settings, children: int, seed: int) -> Workspace:
    """Build in a sibling temp folder, then rename: a demo is either whole or absent."""
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".kbtui-demo-", dir=root.parent))
    staging.rmdir()
    try:
        build_demo(staging, profile_path, settings.operator, settings.plugin_dirs, children, seed)
        if root.exists():
            root.rmdir()   # only an empty folder may be replaced
        staging.rename(root)
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, OSError):
            raise WorkspaceError(f"无法生成演示数据到 {root}：{os_error_reason(err)}（未留下不完整的目录）") from None
        raise
    return Workspace.open(root, settings.operator, settings.plugin_dirs)


@cli.command()
@pass_settings
def tui(settings: Settings) -> None:
    """打开终端界面（与不带命令运行 kbtui 相同）。"""
    open_tui(settings)
