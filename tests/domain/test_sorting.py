"""Numbers sort as numbers, dates as dates, numbered names naturally, blanks last (issue 15: 年龄 sorted as
text gave 10, 11 … 9)."""
from __future__ import annotations

from pathlib import Path

import pytest

from kbtui.domain.sorting import place_key, sort_blanks_last, value_key
from kbtui.services.children.child_list import CORE_COLUMNS, ChildList
from tests.helpers.imports import body, cid, init_data, run, run_json, workspace, xlsx
from tests.helpers.tui import make_app, run_async, settle


@pytest.mark.parametrize("values,expected", [
    (["10", "9", "11", "6", "15"], ["6", "9", "10", "11", "15"]),                      # ages as text
    ([10, 9, 11, 6.5], [6.5, 9, 10, 11]),
    (["10组", "2组", "1组", "12组"], ["1组", "2组", "10组", "12组"]),
    (["三年级", "十年级", "一年级", "九年级"], ["一年级", "三年级", "九年级", "十年级"]),
    (["2015-03-04", "2014-12-01", "2015-10-01"], ["2014-12-01", "2015-03-04", "2015-10-01"]),
    (["2024-09-20T23:59", "2024-09-06T08:00", "2024-10-01T00:00"],
     ["2024-09-06T08:00", "2024-09-20T23:59", "2024-10-01T00:00"]),
    (["9", "", None, "10", "  "], ["9", "10", "", None, "  "]),                           # blanks last
])
def test_values_sort_as_people_read_them(values, expected):
    assert sorted(values, key=value_key) == expected


def test_blanks_stay_last_when_the_order_is_reversed():
    ages = ["9", "", "11", "10", None]
    assert sort_blanks_last(ages, lambda v: v) == ["9", "10", "11", "", None]
    assert sort_blanks_last(ages, lambda v: v, reverse=True) == ["11", "10", "9", "", None]


def test_mixed_cells_in_one_column_do_not_break_the_sort():
    assert sorted(["张三", 3, "", "2组", 1.5, None], key=value_key)[-2:] == ["", None]


def test_the_places_of_children_sort_group_2_before_group_10():
    records = [{"village": "高峰村", "group": g, "name": "甲"} for g in ("10组", "2组", "", "1组")]
    assert [r["group"] for r in sorted(records, key=place_key)] == ["1组", "2组", "10组", ""]


def township_with_groups(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Children of 高峰村 in groups 1, 2, 10 and 12 (born so their ages are 7, 9, 10 and 11)."""
    people = {"甲": ("2017-03-01", "10组"), "乙": ("2015-03-01", "2组"), "丙": ("2014-03-01", "12组"),
              "丁": ("2013-03-01", "1组")}
    ids = {name: cid(born, 11 + 2 * n) for n, (name, (born, _)) in enumerate(people.items())}
    data = init_data(tmp_path)
    rows = [["序号", "姓名", "身份证号", "户籍地址"]] + [
        [n, name, ids[name], f"重庆市铜梁区双山镇高峰村{group}"]
        for n, (name, (_, group)) in enumerate(people.items(), 1)]
    run(data, "import", "police", str(xlsx(tmp_path / "户籍.xlsx", rows)))
    return data, ids


def test_the_children_list_sorts_ages_and_groups_by_value(tmp_path):
    data, _ = township_with_groups(tmp_path)
    ws = workspace(data)
    records = list(ws.store.all())
    model = ChildList(records, ws.context())
    columns = {c.id: c for c in CORE_COLUMNS}
    model.set_sort(columns["age"])
    assert [model.cells(r, [columns["age"]])[0] for r in model.query("")] == ["7", "9", "10", "11"]
    model.set_sort(columns["age"], reverse=True)
    assert [model.cells(r, [columns["age"]])[0] for r in model.query("")] == ["11", "10", "9", "7"]
    model.set_sort(columns["group"])
    assert [model.cells(r, [columns["group"]])[0] for r in model.query("")] == ["1组", "2组", "10组", "12组"]


def test_ledgers_and_tasks_list_group_2_before_group_10(tmp_path):
    data, ids = township_with_groups(tmp_path)
    run(data, "people", "add", "王支书", "--role", "村干部", "--unit", "高峰村", "--covers", "高峰村")
    run(data, "people", "add", "杨老师", "--role", "教师", "--unit", "双山小学")
    run(data, "assign", "--rule")
    tasks = run_json(data, "tasks")["tasks"]
    assert [t["group"] for t in tasks] == ["1组", "2组", "10组", "12组"]
    for name in ("甲", "乙", "丙", "丁"):
        run(data, "visit", ids[name], "--status", "在籍在校", "--school", "双山小学")
    ledger = run_json(data, "ledger", "export", "in-school-local", "-o", str(tmp_path / "在校.xlsx"))
    header, *rows = body(Path(ledger["path"]))
    assert [r[header.index("组")] for r in rows] == ["1组", "2组", "10组", "12组"]


@run_async
async def test_sorting_the_f3_list_by_age_is_by_number(tui_data):
    from kbtui.tui.screens.dialogs import PickerScreen

    app = make_app(tui_data, start="children")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"年龄", "enter")
        await settle(app, pilot)
        screen = app.screen
        age = app.columns["age"]
        ages = [screen.model.cells(r, [age])[0] for r in screen.model.query("")]
        filled = [int(a) for a in ages if a]
        assert filled == sorted(filled) and len(set(filled)) > 3
        assert all(a == "" for a in ages[len(filled):])                 # blanks after all the ages
