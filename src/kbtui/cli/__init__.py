"""The ``kbtui`` command line. Each command group lives in its own module, listed in COMMAND_MODULES."""
from __future__ import annotations

import importlib

from kbtui.cli import zh
from kbtui.cli.common import cli

COMMAND_MODULES = (
    "kbtui.cli.setup_cmds",
    "kbtui.cli.info_cmds",
    "kbtui.cli.admin_cmds",
    "kbtui.cli.store_cmds",
    "kbtui.cli.escalation_cmds",
    "kbtui.cli.calendar_cmds",
    "kbtui.cli.risk_cmds",
    "kbtui.cli.import_cmds",
    "kbtui.cli.ledger_cmds",
    "kbtui.cli.report_cmds",
    "kbtui.cli.placement_cmds",
    "kbtui.cli.campaign_cmds",
    "kbtui.cli.work_cmds",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module)
zh.localize(cli)


def main() -> None:
    cli(prog_name="kbtui")


__all__ = ["cli", "main"]
