"""Every pop-up and form at 80×24 with text typed into its focused field (issue 15, point 1).

A focused field used to collapse to its border (Textual's ``Input:focus`` border in a one-row field): the
value was set, so Pilot tests reading ``.value`` passed while the terminal showed no text. Here each form is
opened with the keys a user presses, text is typed, and what the *screen* shows is checked — the typed text
on the focused row, the field one row high — then the same is kept as a snapshot (pytest-textual-snapshot,
``--snapshot-update`` to regenerate; look at the SVGs).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.widgets import Input

from kbtui.services.campaign import people, spotcheck
from kbtui.services.escalation import escalation
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.dialogs import ConflictScreen, Dialog
from tests.helpers.tui import OCTOBER, TODAY, screen_text, settle


def with_cases(data: Path) -> None:
    escalation.advance(Workspace.open(data, "tester"), OCTOBER)


def with_draw(data: Path) -> None:
    spotcheck.draw(Workspace.open(data, "tester"), 11)


def with_checker(data: Path) -> None:
    people.add_person(Workspace.open(data, "tester"), "tester", "村干部", "双山镇")


async def push_conflict(app, pilot) -> None:
    app.push_screen(ConflictScreen("金星村的这名儿童刚被 lisi 修改过（版本 3）",
                                   [("guardian", "", "张建国", "张建华"), ("school", "", "双山小学", "")]))
    await pilot.pause()


@dataclass(frozen=True)
class Form:
    start: str
    keys: tuple[str, ...]
    typed: str = ""                          # shown on the focused row afterwards ("" for a dialog without text)
    today: dt.date = TODAY
    setup: Callable[[Path], None] | None = None
    then: Callable | None = None             # an extra async step (app, pilot) after the keys
    dialog: bool = True                      # a pop-up (False: a form on its own screen)
    snapshot: bool = True                    # False: the screen shows the time of day (the journal's)


def typing(text: str) -> tuple[str, ...]:
    """The keys typing ``text`` (the Pilot types letters and CJK characters; not full-width punctuation)."""
    return tuple(text)


FORMS: dict[str, Form] = {
    # 劝返 (F8)
    "cases-done": Form("cases", ("d", "enter", "enter", *typing("已电话联系家长")), "已电话联系家长", OCTOBER),
    "cases-done-date": Form("cases", ("d", "ctrl+u", *typing("2024-10-14")), "2024-10-14", OCTOBER),
    "cases-attempt": Form("cases", ("tab", "a", "enter", "enter", "enter", *typing("同意下周返校")),
                          "同意下周返校", OCTOBER, with_cases),
    "cases-absence": Form("cases", ("n", "ctrl+u", *typing("500224201")), "500224201", OCTOBER),
    "cases-return": Form("cases", ("tab", "r", "enter", "ctrl+u", *typing("双山中学")), "双山中学", OCTOBER,
                         with_cases),
    "cases-close": Form("cases", ("tab", "c", "enter", *typing("户籍迁出")), "户籍迁出", OCTOBER, with_cases),
    # 操作员
    "operator-add": Form("operators", ("a", *typing("wangwu")), "wangwu"),
    "operator-edit": Form("operators", ("e", "end", *typing("改名")), "改名"),
    # 人员, 核查, 督查
    "person-add": Form("people", ("a", *typing("王明"), "tab", *typing("支部书记")), "支部书记"),
    "people-import": Form("people", ("i", *typing("/tmp/人员名单.xlsx")), "/tmp/人员名单.xlsx"),
    "people-assign": Form("people", ("g",)),
    "checking-return": Form("checking", ("x", *typing("缺少就读证明")), "缺少就读证明", setup=with_checker),
    "spotcheck-seed": Form("spotcheck", ("d", "ctrl+u", *typing("11")), "11"),
    "spotcheck-record": Form("spotcheck", ("enter", *typing("sx")), "sx", setup=with_draw),
    "row-detail": Form("spotcheck", ("space",), setup=with_draw),
    # 儿童 (F3)
    "children-filter": Form("children", ("ctrl+f", "enter", *typing("gf")), "gf"),
    "children-sort": Form("children", ("ctrl+o", *typing("nl")), "nl"),
    "child-form": Form("children", ("enter", "down", "enter", "end", *typing("核对")), "核对", dialog=False),
    "conflict": Form("children", (), then=push_conflict),
    # 走访录入 (F4): the school asked for before a studying situation is saved
    "visit-school": Form("visits", ("enter", "2", "enter", "ctrl+u", *typing("东莞市长安小学")), "东莞市长安小学"),
    "visit-note": Form("visits", ("enter", "1", "tab", "tab", "tab", "tab", *typing("在家")), "在家", dialog=False),
    # 残疾儿童 (F9): the placement forms
    "placement-assess": Form("disabled", ("enter", "a", "enter", *typing("王建国刘芳")), "王建国刘芳"),
    "placement-place": Form("disabled", ("enter", "p", "enter", "ctrl+u", *typing("双山小学")), "双山小学"),
    "placement-session": Form("disabled", ("enter", "s", "enter", "enter", "ctrl+u", *typing("3")), "3"),
    # 预警 (F7): 结对帮扶, 安排家访, 提前立案 and the filter pickers
    "risk-helper": Form("risk", ("b", "ctrl+u", *typing("刘老师")), "刘老师"),
    "risk-visit": Form("risk", ("v", "enter", "ctrl+u", *typing("王老师")), "王老师"),
    "risk-case": Form("risk", ("c", "enter", *typing("学习困难")), "学习困难"),
    "risk-filter": Form("risk", ("f", *typing("xx")), "xx"),
    "risk-filter-village": Form("risk", ("f", "enter", *typing("gf")), "gf"),
    # forms on their own screens
    "export-path": Form("export", ("tab", "tab", "tab", *typing("/tmp/台账.xlsx")), "/tmp/台账.xlsx", dialog=False),
    "import-path": Form("import", ("tab", *typing("/tmp/户籍.xlsx")), "/tmp/户籍.xlsx", dialog=False),
    "import-school": Form("import", ("tab", "tab", *typing("双山小学")), "双山小学", dialog=False),
    "ledger-import-path": Form("ledger-import", ("ctrl+u", *typing("/tmp/已填台账.xlsx")), "/tmp/已填台账.xlsx",
                               dialog=False),
    "report-path": Form("reports", ("tab", "tab", "tab", "tab", *typing("/tmp/统计表.xlsx")), "/tmp/统计表.xlsx",
                        dialog=False),
    "audit-filter": Form("audit", ("slash", *typing("tester")), "tester", dialog=False, snapshot=False),
}


def build(data: Path, form: Form):
    from kbtui.tui.app import KbtuiApp

    if form.setup:
        form.setup(data)
    return KbtuiApp(Workspace.open(data, "tester"), today=form.today, start=form.start)


async def open_form(app, pilot, form: Form) -> None:
    await settle(app, pilot)
    for key in form.keys:
        await pilot.press(key)
        if key in ("enter", "space") or len(key) > 1:
            await settle(app, pilot)
    if form.then:
        await form.then(app, pilot)
    await settle(app, pilot)


def focused_row(app) -> str:
    """The screen row of the focused widget, as the terminal shows it."""
    focused = app.screen.focused
    return screen_text(app).splitlines()[focused.region.y]


@pytest.mark.parametrize("name", list(FORMS))
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_text_typed_into_a_form_shows_while_its_field_has_the_focus(tui_data, name, size):
    import asyncio

    form = FORMS[name]
    app = build(tui_data, form)

    async def run():
        async with app.run_test(size=size) as pilot:
            await open_form(app, pilot, form)
            assert isinstance(app.screen, Dialog) is form.dialog, (name, type(app.screen).__name__)
            if form.typed:
                focused = app.screen.focused
                assert isinstance(focused, Input), (name, focused)
                assert focused.region.height == 1 and focused.content_region.height == 1, (name, focused.region)
                assert form.typed in focused.value
                assert form.typed in focused_row(app), (name, focused_row(app))

    asyncio.run(run())


@pytest.mark.parametrize("name", [name for name, form in FORMS.items() if form.snapshot])
def test_form_snapshots(snap_compare, tui_data, name):
    form = FORMS[name]
    assert snap_compare(build(tui_data, form), terminal_size=(80, 24),
                        run_before=lambda pilot: open_form(pilot.app, pilot, form))
