"""The TUI examples of docs/plugins.md work when dropped into a plugin folder, and reach the app."""
from __future__ import annotations

import os

import pytest

from tests.helpers.plugin_guide import BLOCKS
from tests.helpers.tui import make_app, run_async, screen_text, settle

TUI_HOOKS = ("kbtui_register_screens", "kbtui_register_dashboard_panels", "kbtui_register_list_columns",
             "kbtui_register_commands")
EXAMPLES = [block for block in BLOCKS
            if any(f"def {hook}" in block for hook in TUI_HOOKS)]


def test_the_guide_has_an_example_per_tui_hook():
    for hook in TUI_HOOKS:
        assert any(f"def {hook}" in block for block in EXAMPLES), hook


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
@run_async
async def test_tui_guide_example(number, tui_data, tmp_path):
    folder = tmp_path / "county"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / f"tui_example_{number}.py").write_text(EXAMPLES[number], encoding="utf-8")
    app = make_app(tui_data, plugin_dirs=[folder])
    async with app.run_test(size=(160, 40)) as pilot:       # wide enough for every column
        await settle(app, pilot)
        assert not [w for w in app.workspace.warnings if f"tui_example_{number}" in w], app.workspace.warnings
        registries = {"kbtui_register_screens": app.nav, "kbtui_register_dashboard_panels": app.panels,
                      "kbtui_register_list_columns": app.columns, "kbtui_register_commands": app.commands}
        hook = next(h for h in TUI_HOOKS if f"def {h}" in EXAMPLES[number])
        added = registries[hook].owned_by(f"tui_example_{number}")
        assert added, f"example {number} registered nothing"
        if hook == "kbtui_register_screens":
            await app.run_action(f"open_screen('{added[0]}')")
            await settle(app, pilot)
            assert "热线" in screen_text(app)
        elif hook == "kbtui_register_dashboard_panels":
            assert "名儿童没有监护人电话" in str(app.screen.query_one(f"#panel-{added[0]}").render())
        elif hook == "kbtui_register_commands":
            app.action_run_command(added[0])
            await pilot.pause()
            assert any("待核实" in str(n.message) for n in app._notifications)
        else:
            await pilot.press("f3")
            await settle(app, pilot)
            assert "监护人" in screen_text(app)
