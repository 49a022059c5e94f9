"""What the command modules share: the settings, printing through the presenter, errors in Chinese, file
parameters; ``start`` is the root group's work once a command runs (the group itself: ``kbtui.cli``)."""
from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import orjson

from kbtui.domain.controls import escape_controls
from kbtui.errors import StoreError
from kbtui.excel.errors import ExcelReadError, ExcelWriteError
from kbtui.oserrors import os_error_reason
from kbtui.profiles import ProfileError
from kbtui.services.access import disclosure
from kbtui.services.access.disclosure import Presenter
from kbtui.services.children.town_totals import subtotals_line, town_subtotals
from kbtui.services.intake import child_ids
from kbtui.services.workspace import Workspace, WorkspaceError, default_data_dir, default_operator
from kbtui.user_paths import PEOPLE_FOLDERS, input_problem


@dataclass
class Settings:
    data_dir: Path
    operator: str
    plugin_dirs: list[Path] = field(default_factory=list)
    data_dir_given: bool = False
    _workspace: Workspace | None = None
    _warned: int = 0
    _presenter: Presenter | None = None

    def workspace(self, load_children: bool = True, lazy: bool = False) -> Workspace:
        """The data folder (opened once); ``load_children=False``: the TUI reads the children itself;
        ``lazy``: the village files are read as the command asks for children (``ChildStore`` lazy)."""
        if self._workspace is None:
            with friendly_errors():
                self._workspace = Workspace.open(self.data_dir, self.operator, self.plugin_dirs,
                                                 load_children=load_children, lazy_children=lazy)
            self.flush_warnings()
        return self._workspace

    @property
    def has_workspace(self) -> bool:
        return self._workspace is not None

    def presenter(self) -> Presenter | None:
        """What the operator may see of children's numbers (None before a data folder is open)."""
        if self._presenter is None and self._workspace is not None:
            self._presenter = disclosure.presenter(self._workspace)
        return self._presenter

    def flush_warnings(self) -> None:
        """Print plugin warnings not printed yet (registries fill lazily, so more may come later)."""
        if self._workspace is not None:
            warnings = self._workspace.warnings
            warn(warnings[self._warned:])
            self._warned = len(warnings)


# --------------------------------------------------------------------------- what the CLI prints
#
# Everything a command prints goes through ``shown``: control characters from data or files as visible
# symbols (an ESC in an imported address must not retitle the terminal), and children's ID and phone
# numbers masked for roles that do not see them (``services.access.disclosure``). ``click.echo`` and
# ``click.secho`` are replaced below, so that no command (nor a plugin's) can print around it; JSON is
# masked field by field first (``print_json``).

_click_echo, _click_secho = click.echo, click.secho
_running: list[Settings] = []          # the settings of the command running now (for its error message)


def _settings() -> Settings | None:
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Settings) if ctx is not None else None
    return found or (_running[-1] if _running else None)


def shown(text: str) -> str:
    """``text`` as the operator may see it (control characters escaped, numbers masked by role)."""
    text = escape_controls(text)
    settings = _settings()
    presenter = settings.presenter() if settings is not None else None
    return presenter.text(text) if presenter is not None else text


def echo(message: Any = None, file=None, nl: bool = True, err: bool = False, color: bool | None = None) -> None:
    _click_echo(shown(message) if isinstance(message, str) else message, file=file, nl=nl, err=err, color=color)


def secho(message: Any = None, file=None, nl: bool = True, err: bool = False, color: bool | None = None,
          **styles: Any) -> None:
    _click_secho(shown(message) if isinstance(message, str) else message, file=file, nl=nl, err=err,
                 color=color, **styles)


click.echo = echo        # type: ignore[assignment]
click.secho = secho      # type: ignore[assignment]

# JSON escapes C0 controls itself (\u001b); DEL, C1 and the bidirectional controls it leaves as they are
_JSON_CONTROLS = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


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
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):   # (output piped into head)
            where = f"“{exc.filename}”" if exc.filename else ""
            raise click.ClickException(f"无法读写文件{where}：{os_error_reason(exc)}")
        return False


class LabelledChoice(click.Choice):
    """A closed vocabulary typed as short names (``police``) that also have a Chinese label: a wrong value
    lists every name with its label (``police（派出所户籍名单）``)."""

    def __init__(self, labels: dict[str, str], case_sensitive: bool = False):
        super().__init__(list(labels), case_sensitive=case_sensitive)
        self.labels = dict(labels)

    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        listed = "、".join(f"{name}（{label}）" for name, label in self.labels.items())
        return f"“{value}”不是可选的值，可选：{listed}"


class OutputFile(click.Path):
    """An ``-o`` file: refused at once (before any work is done) where no export may go
    (``excel.saving.output_problem``, the same rule every export applies again as it writes: an existing
    folder, never made; not the data folder's own files; a name ending in ``suffixes``; no file of someone
    else's replaced; under sudo, a folder the operator could write to themselves)."""

    def __init__(self, suffixes: tuple[str, ...] = (".xlsx",), **kwargs: Any):
        super().__init__(dir_okay=False, path_type=Path, **kwargs)
        self.suffixes = suffixes

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from kbtui.excel.saving import output_problem  # heavy: imported where used (openpyxl)

        path = super().convert(value, param, ctx)
        problem = output_problem(path, suffixes=self.suffixes)
        if problem:      # not a usage error (exit 2 with the usage): one message, exit 1, like any write
            raise click.ClickException(problem)
        return path


class InputFile(click.Path):
    """A file the command reads (an import's list, a backup to restore): the operator may have kbtui read it
    (``user_paths.input_problem``: not the data folder's own files; under sudo, only what the operator could read
    themselves). ``allowed``: the data folder's subfolders it may be in."""

    def __init__(self, allowed: tuple[str, ...] | None = None, **kwargs: Any):
        super().__init__(dir_okay=False, path_type=Path, **kwargs)
        self.allowed = allowed

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        problem = input_problem(path, allowed=PEOPLE_FOLDERS if self.allowed is None else self.allowed)
        if problem:
            raise click.ClickException(problem)
        return path


def warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.secho(f"警告：{warning}", fg="yellow", err=True)


def echo_town_subtotals(workspace: Workspace, id_numbers: Iterable[str], unit: str) -> None:
    """A district's list ends with its subtotals by town (``按乡镇（街道）：城头镇 2 件、…``); a township's not."""
    line = subtotals_line(town_subtotals(workspace, id_numbers), unit)
    if line:
        click.echo(line)


def print_json(data: Any) -> None:
    """``data`` as JSON, masked field by field for the operator (``services.access.disclosure``)."""
    settings = _settings()
    presenter = settings.presenter() if settings is not None else None
    if presenter is not None and not presenter.full:     # (dataclasses, dates … made plain first)
        data = presenter.data(json.loads(json.dumps(data, default=str)))
    click.echo(_JSON_CONTROLS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json_text(data)))


_ORJSON_OPTIONS = (orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
                   | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)


def _as_json_writes(value: Any) -> Any:
    """What ``json.dumps(default=str)`` writes for a value orjson hands back: a subclass of str, int, float,
    dict or list (a ``str`` enum: its value) as the plain value, anything else (dates, dataclasses) as ``str``."""
    for plain in (str, int, float, dict, list):
        if isinstance(value, plain):
            return plain(value) if plain is not str else str.__str__(value)
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def json_text(data: Any) -> str:
    """``json.dumps(data, ensure_ascii=False, indent=2, default=str)``, written by orjson (the standard
    library's indented encoder is pure Python: 0.3 s for ``check --json`` at 100,000 children). What orjson
    cannot write (an integer over 64 bits) is written by the standard library."""
    try:
        return orjson.dumps(data, default=_as_json_writes, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)


pass_settings = click.make_pass_decorator(Settings)


#: the parameters by which a command names children (or their case): the masked form the lists show
#: (500224********1234) is taken for the one child in scope it fits (``services.intake.child_ids``)
CHILD_PARAMETERS = ("id_number", "id_numbers", "ids", "child", "case_key")

# --village / --town of the commands that list or export some children (services.children.places.find_village)
VILLAGE_HELP = "只看某个村（社区）；区县数据中写作“城头镇新村”（两个乡镇都有的村名须写明乡镇）。"
TOWN_HELP = "区县数据：只看某个乡镇（街道），如 城头镇。"


def with_workspace(fn: Callable) -> Callable:
    """Decorator: the command receives the opened Workspace as first argument, and the children it names
    (``CHILD_PARAMETERS``) by their full ID numbers even when the operator wrote the masked form."""

    @pass_settings
    def wrapper(settings: Settings, *args, **kwargs):
        workspace = settings.workspace(lazy=True)    # (reading a damaged village file: inside friendly_errors)
        try:
            with friendly_errors():
                for name in CHILD_PARAMETERS:
                    if kwargs.get(name):
                        kwargs[name] = child_ids.resolve_all(workspace, kwargs[name])
                return fn(workspace, *args, **kwargs)
        finally:
            settings.flush_warnings()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def open_tui(settings: Settings, workspace: Workspace | None = None) -> None:
    """The TUI. The children are read by the app once its first screen shows (100,000 children take
    seconds): the folder, the operator and the profile are checked here, before the terminal is taken."""
    from kbtui.tui.app import KbtuiApp  # heavy: imported where used (Textual, only when the TUI opens)

    workspace = workspace or settings.workspace(load_children=False)
    app = KbtuiApp(workspace)
    app.run()
    if app.return_code:         # the children could not be read (its message is printed on exit)
        raise SystemExit(app.return_code)


def start(ctx: click.Context, data_dir: Path | None, operator: str | None, plugin_dirs: tuple[Path, ...]) -> None:
    """The root group's work once a command (or the TUI) runs: the settings every command reads."""
    ctx.obj = Settings(data_dir or default_data_dir(), operator or default_operator(), list(plugin_dirs),
                       data_dir_given=data_dir is not None)
    _running[:] = [ctx.obj]
    if ctx.invoked_subcommand is None:
        open_tui(ctx.obj)


def stdin_is_terminal() -> bool:
    """Someone at a keyboard who can answer a question (not a script or a pipe)."""
    return sys.stdin.isatty()
