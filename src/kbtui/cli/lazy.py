"""A click group that imports a command's module only when that command is asked for (issue 18).

Importing every command module imports every service with it (~100 modules): ``kbtui --help`` and each
command paid for all of them. A ``LazyGroup`` knows each command by its name, its module and the first
paragraph of its help (``LazyCommand``): the listing of ``--help`` is made from that table (the short help
click would make from the loaded command: ``tests/test_cli_lazy.py`` checks the two are the same), and a
command's module is imported when the command is resolved (``get_command``).

``commands`` (click's dict of subcommands) imports every module first, so whatever walks the whole tree
(the tests, a plugin) sees every command; the group itself reads only what is loaded.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    module: str           # the module whose import registers the command on the group
    summary: str          # the first paragraph of the command's help (what the listing shortens)

    def stand_in(self, name: str) -> click.Command:
        """A command that is not loaded, as the listing shows it."""
        return click.Command(name, help=self.summary)


class LazyGroup(click.Group):
    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None,
                 on_load: Callable[[click.Command], None] | None = None, heading: str = "Commands",
                 **kwargs: Any):
        self.lazy = dict(lazy or {})
        self.on_load = on_load            # run once for each command before it is first handed out
        self.heading = heading            # the listing's section title
        self._ready: set[str] = set()
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> dict[str, click.Command]:          # type: ignore[override]
        """Every command, each module imported."""
        for name in sorted(self.lazy):
            self.get_command(None, name)                       # type: ignore[arg-type]
        for name in list(self._loaded):
            self._prepare(name)
        return self._loaded

    @commands.setter
    def commands(self, value: Mapping[str, click.Command]) -> None:
        self._loaded = dict(value)

    @property
    def loaded(self) -> dict[str, click.Command]:
        """The commands whose module is imported (nothing imported by asking)."""
        return self._loaded

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        self._loaded[name] = cmd
        self._ready.discard(name)

    def _prepare(self, name: str) -> click.Command:
        cmd = self._loaded[name]
        if name not in self._ready:
            self._ready.add(name)
            if self.on_load is not None:
                self.on_load(cmd)
        return cmd

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._loaded and cmd_name in self.lazy:
            importlib.import_module(self.lazy[cmd_name].module)
        return self._prepare(cmd_name) if cmd_name in self._loaded else None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy.keys() | self._loaded.keys())

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing (same layout and short help), a command not loaded shown by its stand-in."""
        shown = [(name, self._loaded.get(name) or self.lazy[name].stand_in(name)) for name in self.list_commands(ctx)]
        shown = [(name, cmd) for name, cmd in shown if not cmd.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _cmd in shown)
        with formatter.section(self.heading):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])
