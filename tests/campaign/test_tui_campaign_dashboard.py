"""总览 shows the *current* campaign's title and phases, also after ``campaign new`` / ``switch``."""
from __future__ import annotations

from kbtui.domain.campaign import parse_phase_arg
from kbtui.services.campaign import campaigns
from kbtui.services.dashboard import campaign_heading, dashboard
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.dashboard import DashboardScreen
from tests.helpers.tui import TODAY, make_app, run_async, screen_text, settle

SPRING = "双山镇2025年春期控辍保学排查"


def new_spring_campaign(data) -> None:
    ws = Workspace.open(data, "tester")
    phases = [parse_phase_arg("春期入户排查=2024-09-20", 2024), parse_phase_arg("春期复核=2024-10-08", 2024)]
    campaigns.new_campaign(ws, "2025-spring", SPRING, 2025, phases, visit_phase="春期入户排查", switch=False)
    campaigns.switch_campaign(ws, "2025-spring")


def test_dashboard_service_takes_the_current_campaign(tui_data):
    new_spring_campaign(tui_data)
    ws = Workspace.open(tui_data, "tester")
    title, phases = campaign_heading(ws, TODAY)
    assert title == SPRING and [p.name for p in phases] == ["春期入户排查", "春期复核"]
    assert dashboard(ws, TODAY).title == SPRING
    campaigns.switch_campaign(ws, campaigns.profile_campaign(ws.profile).id)
    title, phases = campaign_heading(ws, TODAY)
    assert title == ws.profile.title and "精准排查对象" in [p.name for p in phases]


@run_async
async def test_dashboard_shows_the_switched_campaign(tui_data):
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "当前阶段：精准排查对象" in screen_text(app)
        new_spring_campaign(tui_data)          # as `kbtui campaign new` would, from another terminal
        await pilot.press("r")
        await settle(app, pilot)
        text = screen_text(app)
        assert SPRING in text and "当前阶段：春期入户排查" in text
        assert "春期复核" in text and "截止 9月20日（剩 10 天）" in text
        assert "精准排查对象" not in text


@run_async
async def test_dashboard_opens_on_the_current_campaign(tui_data):
    new_spring_campaign(tui_data)
    app = make_app(tui_data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert SPRING in screen_text(app) and "春期入户排查" in screen_text(app)
