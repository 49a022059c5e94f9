"""The root command group, its global options, and helpers shared by the command modules."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click

from kbtui.excel.errors import ExcelReadError, ExcelWriteError
from kbtui.oserrors import os_error_reason
from kbtui.profiles import ProfileError
from kbtui.services.workspace import Workspace, WorkspaceError, default_data_dir, default_operator
from kbtui.store import StoreError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass
class Settings:
    data_dir: Path
    operator: str
    plugin_dirs: list[Path] = field(default_factory=list)
    data_dir_given: bool = False
    _workspace: Workspace | None = None
    _warned: int = 0

    def workspace(self) -> Workspace:
        if self._workspace is None:
            with friendly_errors():
                self._workspace = Workspace.open(self.data_dir, self.operator, self.plugin_dirs)
            self.flush_warnings()
        return self._workspace

    def flush_warnings(self) -> None:
        """Print plugin warnings not printed yet (registries fill lazily, so more may come later)."""
        if self._workspace is not None:
            warnings = self._workspace.warnings
            warn(warnings[self._warned:])
            self._warned = len(warnings)


def _show_in_chinese(self: click.ClickException, file=None) -> None:
    """click prints ``Error: …``; every message of ours is Chinese, so is the word in front of it."""
    click.echo(f"错误：{self.format_message()}", file=file, err=file is None)


# every ClickException of ours (friendly_errors and the commands' own); usage errors keep click's text
click.ClickException.show = _show_in_chinese  # type: ignore[method-assign]


class friendly_errors:
    """Turn the product's own errors into a Chinese message and exit code 1, never a traceback; a file
    operation that failed where no service said more (an OSError) too: which file, and why."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and isinstance(exc, (WorkspaceError, ProfileError, StoreError, ExcelReadError,
                                                ExcelWriteError)):
            raise click.ClickException(str(exc))
        if isinstance(exc, OSError):
            where = f"“{exc.filename}”" if exc.filename else ""
            raise click.ClickException(f"无法读写文件{where}：{os_error_reason(exc)}")
        return False


def warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.secho(f"警告：{warning}", fg="yellow", err=True)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


pass_settings = click.make_pass_decorator(Settings)


def with_workspace(fn: Callable) -> Callable:
    """Decorator: the command receives the opened Workspace as first argument."""

    @pass_settings
    def wrapper(settings: Settings, *args, **kwargs):
        workspace = settings.workspace()
        try:
            with friendly_errors():
                return fn(workspace, *args, **kwargs)
        finally:
            settings.flush_warnings()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@click.group(invoke_without_command=True, context_settings=CONTEXT_SETTINGS)
@click.option("--data-dir", type=click.Path(path_type=Path), envvar="KBTUI_DATA_DIR",
              help="数据目录（也可用环境变量 KBTUI_DATA_DIR；默认在用户数据目录下）。")
@click.option("--operator", default=None, help="操作员（默认为当前登录的系统用户名；代他人操作仅限镇管理员和测试）。")
@click.option("--plugins-dir", "plugin_dirs", multiple=True, type=click.Path(path_type=Path),
              help="额外的插件目录，可重复指定。")
@click.version_option(package_name="kbtui", message="kbtui %(version)s")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, operator: str | None, plugin_dirs: tuple[Path, ...]) -> None:
    """控辍保学工作台：导入名单、比对分类、入户核实、劝返跟踪、导出台账。

    不带命令时打开终端界面（TUI）。
    """
    ctx.obj = Settings(data_dir or default_data_dir(), operator or default_operator(), list(plugin_dirs),
                       data_dir_given=data_dir is not None)
    if ctx.invoked_subcommand is None:
        from kbtui.cli.setup_cmds import open_tui

        open_tui(ctx.obj)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
