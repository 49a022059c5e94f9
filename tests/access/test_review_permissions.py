"""Who may take which checking level, and what a refused operator is told (issue 15: README step 6 failed
for the 镇管理员 who had just run ``init``): the township's accounts take 村/校核查 and 镇核查 anywhere,
县复核 is the county's, and every refusal names who may and how to get there — and following it works."""
from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from kbtui.tui.screens.checking import CheckingScreen
from tests.helpers.imports import run, workspace
from tests.helpers.township_books import children
from tests.helpers.tui import make_app, run_async, screen_text, settle


def level_of(data: Path, id_number: str) -> str | None:
    return workspace(data).store.get(id_number).get("check_level")


def test_the_creator_takes_the_village_and_town_checks(township):
    village = run(township, "review", "--level", "村/校核查", "--village", "高峰村")
    assert "“村/校核查”通过" in village.output and "未通过" not in village.output
    town = run(township, "review", "--level", "镇核查", "--village", "高峰村")
    assert "“镇核查”通过" in town.output


def test_the_county_review_is_refused_with_who_may_and_how_then_that_way_works(township):
    run(township, "review", "--level", "村/校核查", "--village", "高峰村")
    run(township, "review", "--level", "镇核查", "--village", "高峰村")
    refused = run(township, "review", "--level", "县复核", "--village", "高峰村", ok=False)
    assert refused.exit_code == 1
    out = refused.output
    assert "“县复核”须由县教育局、督学进行" in out
    assert "角色为县复核的操作员" in out and "人员名单中职务为县教育局、督学的人" in out
    assert "kbtui operators add 登录名 --role 县复核 --name 姓名" in out       # the admin is told the command
    assert out.count("须由") == 1                                              # once, not once per child
    # doing what it says
    run(township, "operators", "add", "county", "--role", "县复核", "--name", "区教委督学")
    passed = run(township, "--operator", "county", "review", "--level", "县复核", "--village", "高峰村")
    assert "“县复核”通过" in passed.output
    assert {r.get("check_level") for r in workspace(township).store.all() if r.get("village") == "高峰村"
            and r.get("status")} == {"县复核"}


def test_a_village_cadre_is_told_to_ask_the_admin(township):
    out = run(township, "--operator", "wangzs", "review", "--level", "镇核查", "--village", "高峰村", ok=False)
    assert out.exit_code == 1
    assert "王支书（村干部）不能操作" in out.output and "请镇管理员添加这样的操作员" in out.output
    assert "--role 教育专干" in out.output                    # the narrowest account that may, not the admin's
    own = run(township, "--operator", "wangzs", "review", "--level", "村/校核查", "--village", "高峰村")
    assert "“村/校核查”通过" in own.output


def test_the_list_says_when_the_operator_may_not_take_the_level(township):
    listed = run(township, "review", "--level", "县复核", "--list")
    assert "待“县复核”的记录" in listed.output and "注意：“县复核”须由" in listed.output


@run_async
async def test_the_checking_screen_serves_the_admin_and_explains_a_refusal(township):
    first = next(c.id_number for c in children() if c.village == "高峰村" and level_of(township, c.id_number))
    app = make_app(township, start="checking")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CheckingScreen) and screen.level == "村/校核查"
        assert screen.query_one(DataTable).row_count > 0 and not screen.refused
        at = screen.shown.index(first)
        screen.query_one(DataTable).move_cursor(row=at)
        await pilot.press("enter")
        await settle(app, pilot)
        assert level_of(township, first) == "村/校核查"
        await pilot.press("3")                                 # 县复核: not the township's
        await settle(app, pilot)
        assert screen.refused and "--role 县复核" in screen.refused
        assert "须由县教育局、督学进行" in screen_text(app)


@run_async
async def test_the_checking_screen_opens_at_the_operators_own_level(township):
    run(township, "operators", "add", "county", "--role", "县复核", "--name", "区教委督学")
    run(township, "review", "--level", "村/校核查", "--village", "高峰村")       # so that 镇核查 has rows
    app = make_app(township, start="checking", operator="county")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.screen.level == "县复核" and not app.screen.refused
    app = make_app(township, start="checking", operator="wangzs")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.screen.level == "村/校核查"
        await pilot.press("2")
        await settle(app, pilot)
        assert app.screen.refused and "请镇管理员" in app.screen.refused
        shown = list(app.screen.shown)
        assert shown
        await pilot.press("a")                                 # 全部通过: refused, nothing asked, nothing changed
        await settle(app, pilot)
        assert isinstance(app.screen, CheckingScreen)
        assert all(level_of(township, i) != "镇核查" for i in shown)
