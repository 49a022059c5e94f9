"""The services behind the TUI (no Textual): list queries, form validation, keymap, dashboard, bars."""
from __future__ import annotations

import datetime as dt

from kbtui.domain.idcard import make_id
from kbtui.services.children import child_edit
from kbtui.services.children.child_list import CORE_COLUMNS, ChildList, Filters, fit_columns
from kbtui.services.children.search import SearchIndex
from kbtui.services.dashboard import current_phase, phase_states
from kbtui.services.keymap import load_keymap
from kbtui.services.workspace import Workspace
from kbtui.tui.widgets.bars import bar, bar_chart
from tests.helpers.tui import TODAY


def workspace(path):
    return Workspace.open(path, "tester")


def test_child_list_search_agrees_with_the_search_index(small_demo):
    ws = workspace(small_demo)
    records = list(ws.store.all())
    model = ChildList(records, ws.context(TODAY), ws.ledgers)
    index = SearchIndex(records)
    for query in ("z", "zh", "zhang", "zs", "wang", "张", "1", "23", "0012", records[5]["id_number"][-8:],
                  records[7]["name"], "x"):
        assert sorted(model.id_of(r) for r in model.search(query)) == sorted(index.search(query)), query


def test_child_list_filters_and_sort(small_demo):
    ws = workspace(small_demo)
    records = list(ws.store.all())
    ctx = ws.context(TODAY)
    model = ChildList(records, ctx, ws.ledgers)
    model.set_filters(Filters(village="高峰村", age=9))
    rows = model.query("")
    assert rows and all(records[r]["village"] == "高峰村" and ctx.classify(records[r]).age == 9 for r in rows)
    ledger = next(iter(ws.ledgers))
    model.set_filters(Filters(ledger=ledger))
    assert {model.id_of(r) for r in model.query("")} == {
        r["id_number"] for r in records if ws.ledgers[ledger].include(r, ctx)}
    model.set_filters(Filters())
    name = next(c for c in CORE_COLUMNS if c.id == "birth_date")
    model.set_sort(name, reverse=True)
    dates = [records[r]["birth_date"] for r in model.query("")]
    assert dates == sorted(dates, reverse=True)
    assert [records[r]["birth_date"] for r in model.query("z")] == sorted(
        (records[r]["birth_date"] for r in model.search("z")), reverse=True)


def test_columns_fit_the_width():
    narrow = fit_columns(CORE_COLUMNS, 78)
    assert sum(c.width + 1 for c in narrow) <= 78
    assert [c.id for c in narrow][:2] == ["name", "sex"]
    wide = [c.id for c in fit_columns(CORE_COLUMNS, 118)]
    assert "id_number" in wide and "id_tail" not in wide


def test_validate_fills_from_the_id_and_refuses_bad_values(small_demo):
    ws = workspace(small_demo)
    number = make_id("500224", dt.date(2016, 3, 4), 12)
    check = child_edit.validate(ws, None, {"id_number": number.lower(), "name": "新同学", "sex": "",
                                           "birth_date": ""})
    assert check.ok and check.changes["birth_date"] == "2016-03-04" and check.changes["sex"] == "女"
    bad = child_edit.validate(ws, None, {"id_number": number[:-1] + ("0" if number[-1] != "0" else "1"),
                                         "name": "", "guardian_phone": "123", "status": "待核实",
                                         "key_groups": "留守儿童、外星人", "family_type": "富裕户"})
    assert set(bad.errors) == {"id_number", "name", "guardian_phone", "status", "key_groups", "family_type"}
    assert "校验位" in bad.errors["id_number"] and "外星人" in bad.errors["key_groups"]


def test_save_child_only_writes_what_changed(tui_data):
    ws = workspace(tui_data)
    record = next(ws.store.all())
    values = child_edit.form_values(record)
    values["key_groups"] = "留守儿童，学困生"
    check, saved = child_edit.save_child(ws, record, values)
    assert check.changes == {"key_groups": ["留守儿童", "学困生"]} and saved["_v"] == record["_v"] + 1


def test_keymap_file(tmp_path):
    (tmp_path / "keys.toml").write_text('"nav.children" = "F7"\n[form]\nsave = "ctrl+w"\nbad = 3\n'
                                        '"nav.x" = "f8"\n', encoding="utf-8")
    keymap = load_keymap(tmp_path, {"nav.children", "form.save", "form.bad"})
    assert keymap.keys == {"nav.children": "f7", "form.save": "ctrl+w"}
    assert len(keymap.warnings) == 2
    (tmp_path / "keys.toml").write_text("= broken", encoding="utf-8")
    assert load_keymap(tmp_path).warnings and not load_keymap(tmp_path).keys


def test_phases_against_today(small_demo):
    ws = workspace(small_demo)
    states = phase_states(ws.profile, dt.date(2024, 9, 13))
    assert [s.days_left for s in states] == [-7, 0, 7, 7, 12]
    assert states[1].label == "截止 9月13日（今天截止）" and states[0].label.endswith("（已过 7 天）")
    assert current_phase(states).name == "精准排查对象"
    assert current_phase(phase_states(ws.profile, dt.date(2024, 10, 1))) is None


def test_bars():
    assert bar(1, 2, 8) == "████    "
    assert bar(0, 0, 4) == "    " and bar(3, 3, 4) == "████"
    assert bar(1, 16, 2) == "▏ "
    lines = bar_chart({"高峰村": (3, 4), "双山社区": (0, 5)}, 60)
    assert "75%" in lines[0] and " 0%" in lines[1]
