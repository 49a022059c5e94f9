"""The command line imports a command's module only when that command runs (issue 18, ``kbtui.cli.lazy``):
``--help`` lists every command from ``kbtui.cli.COMMANDS`` with the very text the loaded command gives."""
from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from kbtui.cli import COMMAND_MODULES, COMMANDS, cli
from kbtui.cli.lazy import LazyGroup

HELP_PROBE = """
import sys
from click.testing import CliRunner
from kbtui.cli import cli
for width in (100, 60):
    result = CliRunner().invoke(cli, ["--help"], terminal_width=width)
    assert result.exit_code == 0, result.output
    print(result.output, end="\\x00")
print(" ".join(sorted(m for m in sys.modules if m.startswith(("kbtui.services", "kbtui.store", "kbtui.cli.")))))
"""

# importing the module a command is listed under registers that command (each module on its own)
REGISTER_PROBE = """
import importlib, json, sys
from kbtui.cli import COMMAND_MODULES, cli
found = {}
for module in COMMAND_MODULES:
    for name in [m for m in sys.modules if m.startswith("kbtui.cli.") and m.endswith("_cmds")]:
        del sys.modules[name]
    cli.loaded.clear()
    importlib.import_module(module)
    found[module] = sorted(cli.loaded)
print(json.dumps(found))
"""


def _run(probe: str) -> str:
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout


def test_the_table_gives_each_command_its_own_short_help():
    commands = cli.commands                     # every module imported
    assert set(commands) == set(COMMANDS)
    for name, entry in COMMANDS.items():
        real = commands[name]
        for limit in range(10, 130):
            assert entry.stand_in(name).get_short_help_str(limit) == real.get_short_help_str(limit), (
                f"kbtui.cli.COMMANDS[{name!r}] should be LazyCommand({entry.module!r}, "
                f"{' '.join(real.help.partition(chr(10) * 2)[0].split())!r})")


def test_each_command_is_registered_by_the_module_it_is_listed_under():
    import json

    found = json.loads(_run(REGISTER_PROBE))
    assert list(found) == list(COMMAND_MODULES)
    for name, entry in COMMANDS.items():
        assert name in found[entry.module], f"importing {entry.module} alone does not declare “{name}”"


def test_help_lists_every_command_as_the_loaded_group_does_and_imports_none():
    *lazy_help, imported = _run(HELP_PROBE).split("\x00")
    assert imported.split() == ["kbtui.cli.lazy", "kbtui.cli.zh"]
    assert cli.commands                         # everything loaded in this process
    for text, width in zip(lazy_help, (100, 60)):
        loaded = CliRunner().invoke(cli, ["--help"], terminal_width=width)
        assert loaded.exit_code == 0 and text == loaded.output
    for name in COMMANDS:
        assert f"  {name} " in lazy_help[0]


def test_a_command_imports_its_own_module_only():
    probe = """
import sys
from click.testing import CliRunner
from kbtui.cli import cli
result = CliRunner().invoke(cli, ["visit", "--help"])
assert result.exit_code == 0 and "visit [选项] 身份证号" in result.output, result.output
print(" ".join(sorted(m for m in sys.modules if m.startswith("kbtui.cli.") and m.endswith("_cmds"))))
"""
    assert _run(probe).split() == ["kbtui.cli.work_cmds"]


def test_a_lazy_group_hands_out_each_command_prepared_once():
    prepared = []
    group = LazyGroup("g", lazy={}, on_load=prepared.append)

    @group.command("a")
    def a() -> None:
        """A."""

    assert group.loaded == {"a": a} and prepared == []
    assert group.get_command(None, "a") is a and group.get_command(None, "a") is a   # type: ignore[arg-type]
    assert prepared == [a] and group.get_command(None, "b") is None                  # type: ignore[arg-type]
    assert group.list_commands(None) == ["a"]                                        # type: ignore[arg-type]


def test_a_command_with_the_stock_plugins_loads_no_excel_library(tmp_path):
    """The plugins import ``kbtui.api``: its ``Formula`` (the Excel writer's, with openpyxl) loads on first use."""
    data = tmp_path / "data"
    probe = f"""
import sys
from click.testing import CliRunner
from kbtui.cli import cli
for args in (["init", "--profile", "shuangshan-2024"], ["stats"]):
    result = CliRunner().invoke(cli, ["--data-dir", {str(data)!r}, *args])
    assert result.exit_code == 0, result.output
assert "kbtui.api" in sys.modules
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in ("openpyxl", "python_calamine", "textual"))))
"""
    assert _run(probe).split() == []
