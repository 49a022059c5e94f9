"""Issue 17 in the TUI: the 操作员 screen and the 儿童 list on the 山亭 district profile, as the district bureau
(区县教育局), the district admin and a town admin (镇管理员 of 城头镇): towns in the operators' form and list,
district roles only in a district, a town admin kept to their town's operators, the 乡镇 column and town
filter for who sees several towns, villages named with their town (城头镇新村). Snapshots at 80×24."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import OptionList, Select

from kbtui.domain import roles as R
from kbtui.services.access.operators import load_operators, os_login
from kbtui.tui.screens.children import ChildrenScreen
from kbtui.tui.screens.dialogs import PickerScreen
from kbtui.tui.screens.filters import FilterScreen
from kbtui.tui.screens.operators import OperatorForm, OperatorsScreen
from kbtui.tui.widgets.text_input import TextInput
from kbtui.tui.widgets.virtual_table import VirtualTable
from tests.conftest import run_cli
from tests.helpers.tui import SEED, SMALL, make_app, run_async, screen_text, settle

OPERATORS = (["bureau", "--role", "区县教育局", "--name", "王局"],
             ["ct", "--role", "镇管理员", "--name", "陈镇", "--town", "城头镇"],
             ["sc", "--role", "镇管理员", "--name", "孙镇", "--town", "桑村镇"],
             ["li", "--role", "村干部", "--village", "桑村镇新村"])


@pytest.fixture(scope="module")
def district_demo(tmp_path_factory) -> Path:
    """A 300-child demo of the 山亭 district (seed 7) with the bureau, two town admins and a village cadre."""
    data = tmp_path_factory.mktemp("district-demo") / "data"
    result = run_cli("demo", "--no-tui", "--profile", "shanting-2019", "--seed", str(SEED), "--children", str(SMALL),
                     data_dir=data)
    assert result.exit_code == 0, result.output
    for args in OPERATORS:
        assert run_cli("operators", "add", *args, data_dir=data).exit_code == 0
    if os_login() != "tester":      # the creator's own login, listed too: not in the snapshots (it varies)
        assert run_cli("operators", "remove", os_login(), data_dir=data).exit_code == 0
    return data


@pytest.fixture
def district(district_demo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(district_demo, target)
    return target


async def _open_operators(app, pilot):
    await settle(app, pilot)
    app.switch_mode("operators")
    await settle(app, pilot)
    assert isinstance(app.screen, OperatorsScreen)


def _header(app) -> list[str]:
    return [str(column.label) for column in app.screen.query_one("#operators-table").columns.values()]


# --------------------------------------------------------------------------- 操作员

@run_async
async def test_the_district_admin_adds_a_village_cadre_with_a_town(district):
    app = make_app(district, start="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_operators(app, pilot)
        assert _header(app) == ["系统用户名", "姓名", "角色", "所管乡镇", "范围"]
        text = screen_text(app)
        assert "城头镇          城头镇" in text and "全区" in text and "全镇" not in text
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, OperatorForm)
        assert R.DISTRICT_BUREAU in [str(v) for _label, v in form.query_one("#f-role", Select)._options]
        await pilot.press(*"zhaoliu", "enter", *"赵六", "enter", "tab")
        await pilot.press(*"城头")
        await settle(app, pilot)
        towns = form.query_one("#f-towns", TextInput)
        assert towns.value == "城头" and "城头镇" in screen_text(app)      # typed, and completed
        await pilot.press("right", "enter", *"新村")
        await settle(app, pilot)
        assert towns.value == "城头镇" and "新村" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, OperatorsScreen)
        saved = load_operators(district)["zhaoliu"]
        assert (saved.role, saved.towns, saved.villages) == (R.VILLAGE_CADRE, ("城头镇",), ("新村",))
        assert "城头镇 新村" in screen_text(app)


@run_async
async def test_a_district_role_with_a_town_is_refused_as_on_the_command_line(district):
    app = make_app(district, start="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_operators(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        await pilot.press(*"wangju", "enter")
        form.query_one("#f-role", Select).value = R.DISTRICT_BUREAU
        form.query_one("#f-towns", TextInput).value = "城头镇"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is form
        cli = run_cli("operators", "add", "wangju", "--role", R.DISTRICT_BUREAU, "--town", "城头镇", data_dir=district)
        message = cli.output.strip().removeprefix("错误：")
        assert message == "区县教育局管全区，不能指定所管乡镇（去掉 towns / --town）"
        assert message in str(form.query_one("#form-error").render())
        assert "wangju" not in load_operators(district)


@run_async
async def test_a_town_admin_manages_their_town_only(district):
    app = make_app(district, start="dashboard", operator="ct")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_operators(app, pilot)
        logins = [op.login for op in app.screen.operators]
        app.screen.query_one("#operators-table").move_cursor(row=logins.index("sc"))
        await pilot.press("e")
        await settle(app, pilot)
        assert isinstance(app.screen, OperatorsScreen)           # no form: refused at once, in Chinese
        assert any("您只管城头镇，不能添加、修改或删除桑村镇的操作员（sc，镇管理员）" in str(n.message)
                   for n in app._notifications)
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, OperatorsScreen) and "sc" in load_operators(district)
        await pilot.press("a")
        await settle(app, pilot)
        form = app.screen
        roles = [str(v) for _label, v in form.query_one("#f-role", Select)._options]
        assert not set(R.DISTRICT_ROLES) & set(roles)
        assert form.query_one("#f-towns", TextInput).value == "城头镇"          # their town, filled in
        form.query_one("#f-towns", TextInput).value = "城头镇、桑村镇"
        form.query_one("#f-villages", TextInput).value = "新村"
        await pilot.press(*"zhou", "enter", *"周", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is form and "您只管城头镇" in str(form.query_one("#form-error").render())
        form.query_one("#f-towns", TextInput).value = "城头镇"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert load_operators(district)["zhou"].towns == ("城头镇",)


@run_async
async def test_a_township_offers_no_district_role(tui_data):
    app = make_app(tui_data, start="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_operators(app, pilot)
        assert _header(app) == ["系统用户名", "姓名", "角色", "范围"]
        await pilot.press("a")
        await settle(app, pilot)
        roles = [str(v) for _label, v in app.screen.query_one("#f-role", Select)._options]
        assert R.TOWN_ADMIN in roles and not set(R.DISTRICT_ROLES) & set(roles)
        assert not app.screen.query("#f-towns")


# --------------------------------------------------------------------------- 儿童

def _column(app, header: str) -> list[str]:
    screen = app.screen
    index = [c.header for c in screen.columns].index(header)
    return [screen.model.cells(row, screen.columns)[index] for row in screen.query_one(VirtualTable).rows]


async def _pick(app, pilot, typed: str) -> None:
    """In a PickerScreen: narrow by typing and take the first match."""
    assert isinstance(app.screen, PickerScreen)
    await pilot.press(*typed, "enter")
    await settle(app, pilot)


@run_async
async def test_the_bureau_filters_the_list_by_town_and_village(district):
    app = make_app(district, start="children", operator="bureau")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ChildrenScreen)
        assert "乡镇" in [c.header for c in app.screen.columns]
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        assert isinstance(app.screen, FilterScreen)
        options = app.screen.query_one(OptionList)
        assert str(options.get_option_at_index(0).prompt).startswith("乡镇（街道）：")
        await pilot.press("enter")
        await settle(app, pilot)
        await _pick(app, pilot, "桑村镇")
        await pilot.press("down", "enter")
        await settle(app, pilot)
        villages = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert villages == ["（全部）", "桑村镇新村", "桑村镇杨庄村", "桑村镇桑村"]      # that town's only
        await _pick(app, pilot, "新村")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert set(_column(app, "乡镇")) == {"桑村镇"} and set(_column(app, "村（社区）")) == {"新村"}
        expected = sum(1 for r in app.workspace.store.all() if (r.get("town"), r.get("village")) == ("桑村镇", "新村"))
        assert len(app.screen.query_one(VirtualTable).rows) == expected > 0
        assert "筛选：乡镇=桑村镇，村=桑村镇新村" in screen_text(app)
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        await _pick(app, pilot, "乡镇")                  # the town column sorts too
        assert app.screen.model.sort_column is not None and app.screen.model.sort_column.id == "town"


@run_async
async def test_a_town_admin_has_no_town_column_nor_filter(district):
    app = make_app(district, start="children", operator="ct")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "乡镇" not in [c.header for c in app.screen.columns]
        assert {r.get("town") for r in app.workspace.store.all()} == {"城头镇"}
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        prompts = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
        assert not any(p.startswith("乡镇") for p in prompts)


# --------------------------------------------------------------------------- snapshots

async def _settle(pilot) -> None:
    await settle(pilot.app, pilot)


def test_snapshot_operators_screen_of_a_district(snap_compare, district):
    async def open_operators(pilot):
        await _open_operators(pilot.app, pilot)

    app = make_app(district, start="dashboard", plugin_ui=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_operators)


def test_snapshot_children_list_of_a_district(snap_compare, district):
    app = make_app(district, start="children", operator="bureau", plugin_ui=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle)


@pytest.mark.parametrize("operator, whole, villages", [
    ("bureau", "全区", {"城头镇新村", "桑村镇新村"}),
    ("ct", "城头镇", {"城头镇新村"}),
])
@run_async
async def test_the_export_picker_names_villages_with_their_town(district, operator, whole, villages):
    app = make_app(district, start="export", operator=operator)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        labels = [str(label) for label, _value in app.screen.query_one("#export-village", Select)._options]
        assert labels[0] == whole and "全镇" not in labels
        assert {v for v in labels if v.endswith("新村")} == villages
