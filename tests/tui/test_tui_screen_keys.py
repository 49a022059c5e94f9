"""Every registered screen opens at 80×24 without an error and shows its keys on the one-line KeyBar."""
from __future__ import annotations

from textual.widgets import Footer

from kbtui.tui.widgets.keybar import KeyBar
from tests.helpers.tui import make_app, run_async, screen_text, settle


def shown_keys(screen) -> list[str]:
    """Descriptions of the shown keys the screen and its focused widget offer now (not the app's)."""
    return [active.binding.description for active in screen.active_bindings.values()
            if active.node is not screen.app and active.binding.show and active.binding.description]


@run_async
async def test_every_screen_opens_and_shows_its_keys(tui_data):
    app = make_app(tui_data)
    seen = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen_ids = list(app.nav)
        assert {"dashboard", "children", "visits", "import", "export", "audit", "operators", "tasks", "people",
                "checking", "spotcheck", "reports", "cases", "disabled"} <= set(screen_ids)
        for screen_id in screen_ids:
            app.action_open_screen(screen_id)
            await settle(app, pilot)
            screen = app.screen
            assert app.current_mode == screen_id
            assert not screen.query(Footer), f"{screen_id} still uses Textual's Footer"
            bars = screen.query(KeyBar)
            assert len(bars) == 1, f"{screen_id} has no KeyBar"
            hints = str(bars.first().render())
            bottom = screen_text(app).splitlines()[-1]
            assert hints.strip() and hints.strip()[:20] in bottom, (screen_id, hints, bottom)
            own = shown_keys(screen)
            if own:
                assert any(d in hints for d in own), f"{screen_id}: none of {own} in “{hints}”"
            else:
                assert "帮助" in hints, (screen_id, hints)
            seen.append(screen_id)
    assert seen == screen_ids
