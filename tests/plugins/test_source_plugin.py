"""A county adds a kind of list from a plugin (a 留守儿童 list from 民政) and imports it like a stock one:
``kbtui import left_behind FILE`` (kbtui_register_sources)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from tests.helpers.imports import init_data, run, run_json, workspace, xlsx
from tests.helpers.township_books import children, police_book

LEFT_BEHIND_PLUGIN = '''
from kbtui.api import Source, hookimpl


def left_behind(raw, values):
    groups = values.setdefault("key_groups", [])
    if "留守儿童" not in groups:
        groups.append("留守儿童")
    return []


@hookimpl
def kbtui_register_sources(registry):
    registry.add("left_behind", Source(
        "left_behind", "民政留守儿童名单", ("id_number", "name"),
        ("name", "sex", "birth_date", "village", "guardian", "guardian_phone", "key_groups"),
        mapper=left_behind, list_fields=("key_groups",), defining=("guardian",),
        description="民政留守儿童名单：记入重点群体“留守儿童”"))
'''


def plugin_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "county"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "left_behind.py").write_text(LEFT_BEHIND_PLUGIN, encoding="utf-8")
    return folder


def left_behind_book(path: Path) -> Path:
    kids = children()[:3]
    return xlsx(path, [["双山镇农村留守儿童花名册（民政办）"],
                       ["序号", "姓名", "性别", "出生日期", "身份证号", "村（社区）", "监护人", "监护人电话"],
                       *[[n, c.name, c.sex, c.born.isoformat(), c.id_number, c.village, c.name[0] + "爷爷",
                          f"1390000{n:04d}"] for n, c in enumerate(kids, 1)]])


def test_a_plugin_source_kind_is_imported_like_a_stock_one(tmp_path):
    data = init_data(tmp_path)
    folder = plugin_folder(tmp_path)
    run(data, "import", "police", str(police_book(tmp_path / "户籍.xlsx")))
    book = left_behind_book(tmp_path / "留守儿童.xlsx")
    result = run_json(data, "--plugins-dir", str(folder), "import", "left_behind", str(book))
    assert result["updated"] == 3 and result["rejected"] == 0, result
    ws = workspace(data)
    for child in children()[:3]:
        record = ws.store.get(child.id_number)
        assert "留守儿童" in record["key_groups"]
        assert "left_behind" in record["sources"]
    assert "留守儿童" not in (ws.store.get(children()[3].id_number).get("key_groups") or [])
    listed = run(data, "--plugins-dir", str(folder), "plugins", "--json")
    plugins = {p["name"]: p for p in json.loads(listed.stdout)["plugins"]}
    assert plugins["left_behind"]["registers"]["名单类型"] == ["left_behind"]
    assert plugins["intake.sources"]["registers"]["名单类型"] == ["police", "school", "poverty", "disability",
                                                                   "civil"]


def test_the_summary_names_the_kind_and_a_wrong_kind_lists_the_plugins_kinds(tmp_path):
    data = init_data(tmp_path)
    folder = plugin_folder(tmp_path)
    book = left_behind_book(tmp_path / "留守儿童.xlsx")
    shown = run(data, "--plugins-dir", str(folder), "import", "left_behind", str(book), "--dry-run")
    assert "民政留守儿童名单“留守儿童.xlsx”" in shown.output
    wrong = run(data, "--plugins-dir", str(folder), "import", "留守", str(book), ok=False)
    assert wrong.exit_code == 2
    assert "left_behind（民政留守儿童名单）" in wrong.output and "police（派出所户籍名单）" in wrong.output
    without = run(data, "import", "left_behind", str(book), ok=False)
    assert without.exit_code == 2 and "left_behind" not in without.output.split("可选：")[1]
