"""``kbtui placement …`` on the 鹿角 2024 profile (seed 002: 送教上门 twice a week, 3 periods), the three
ledgers, the demo's placements, and a county plugin written from docs/plugins.md alone.

Calendar of the profile: term 2024-09-01..2025-01-17; 2024-09-02 is a Monday; 9-16/17 are holidays.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from kbtui.services.disability import placement_check as pc
from kbtui.services.disability import placements as pl
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.disability import KID, KID2, KID3, home_delivery, js, ok

D = dt.date
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"

# The county plugin of docs/plugins.md, as a county would save it (the test below checks it is the guide's).
COUNTY_PLUGIN = '''import dataclasses

import kbtui
from kbtui.api import Kind, Situation
from kbtui.api import disability as d


@kbtui.hookimpl
def kbtui_register_statuses(registry):
    registry.add(Situation("康复中心走读", Kind.STUDYING, description="在县康复中心走读并接受教育"))


@kbtui.hookimpl
def kbtui_register_placements(registry):
    registry.add("康复中心走读", d.PlacementOption(
        name="康复中心走读",
        situation="康复中心走读",
        order=65,
        description="白天在县残疾儿童康复中心学习，学籍在安置学校",
        fields={"center": "康复中心"},
        evidence=("康复中心接收证明",),
        requires=(
            d.needs_field("school", "学籍学校"),
            d.needs_field("center", "康复中心"),
            d.needs_evidence("康复中心接收证明", refuse=False),
        ),
    ))


@kbtui.hookimpl
def kbtui_register_ledgers(registry):
    ledger = registry["disability-placement"]
    registry.replace("disability-placement", dataclasses.replace(
        ledger, columns=ledger.columns + (d.placement_column("康复中心", "center", 16),)))
'''


def test_assess_place_sessions_and_check_across_weeks(data):
    assert "已安置为“送教上门”（情况：送教上门" in home_delivery(data).output
    for day, teacher in (("2024-09-03", "张老师"), ("2024-09-05", "李老师"), ("2024-09-10", "张老师")):
        result = ok("placement", "session", KID, "--date", day, "--teacher", teacher, "--periods", "3",
                    "--content", "识字", data_dir=data)
    assert "累计 3 次 9 课时" in result.output
    check = js("placement", "check", "--on", "2024-09-15", data_dir=data)
    mine = [a for a in check["actions"] if a["id_number"] == KID]
    assert [a["kind"] for a in mine] == ["送教落后"]
    assert "少1次、3课时" in mine[0]["message"] and mine[0]["responsible"] == "鹿角中心校 张老师、李老师"
    # a week later: the 中秋 week (Mon+Tue holidays) is still due, so two more are missing
    text = ok("placement", "check", "--on", "2024-09-22", data_dir=data).output
    assert "应送6次18课时，实送3次9课时，少3次、9课时" in text and "责任人：鹿角中心校 张老师、李老师" in text
    ok("placement", "session", KID, "--date", "2024-09-12", "--teacher", "李老师", "--periods", "3", data_dir=data)
    assert not [a for a in js("placement", "check", "--on", "2024-09-15", data_dir=data)["actions"]
                if a["id_number"] == KID]
    sessions = js("placement", "sessions", KID, data_dir=data)
    assert [s["date"] for s in sessions["sessions"]] == ["2024-09-03", "2024-09-05", "2024-09-10", "2024-09-12"]
    view = js("placement", "show", KID, "--on", "2024-09-15", data_dir=data)
    assert view["situation"] == "送教上门" and view["placement"]["teachers"] == ["张老师", "李老师"]
    assert view["assessments"][0]["members"] == ["王建国", "刘芳", "陈医生"]


def test_check_lists_unplaced_and_unassessed_children(data):
    ok("placement", "set", KID2, "随班就读", "--school", "鹿角中心校", data_dir=data)
    out = js("placement", "check", "--on", "2024-10-01", data_dir=data)
    kinds = {(a["id_number"], a["kind"]) for a in out["actions"]}
    assert kinds == {(KID, "无安置"), (KID2, "无评估"), (KID3, "无安置")}
    assert all(a["responsible"] == "周老师" for a in out["actions"])
    listing = js("placement", "list", "--on", "2024-10-01", data_dir=data)
    assert listing["summary"]["by_option"] == {"未安置": 2, "随班就读": 1}
    assert listing["summary"]["by_compliance"] == {"无安置": 2, "无评估": 1}


def test_refusals_are_chinese_errors(data):
    result = run_cli("placement", "set", KID3, "免予入学", "--evidence", "监护人申请", data_dir=data)
    assert result.exit_code == 1 and "不能安置为“免予入学”：须有残疾人教育专家委员会“暂不具备学习条件”的评估结论" \
        in result.output
    result = run_cli("placement", "set", KID, "送教上门", "--school", "鹿角中心校", data_dir=data)
    assert result.exit_code == 1 and "须填写送教教师" in result.output and "须填写教学计划" in result.output
    result = run_cli("placement", "session", KID, "--date", "2024-09-03", "--teacher", "张老师", "--periods", "3",
                     data_dir=data)
    assert result.exit_code == 1 and "不是送教上门" in result.output
    result = run_cli("placement", "assess", KID, "--date", "2024-13-45", "--members", "甲", "--conclusion",
                     "需送教上门",
                     data_dir=data)
    assert result.exit_code == 1 and "评估日期" in result.output
    assert "Traceback" not in result.output


def test_exemption_roster(data):
    ok("placement", "assess", KID3, "--date", "2024-06-12", "--members", "王建国,刘芳", "--conclusion",
       "暂不具备学习条件",
       data_dir=data)
    result = ok("placement", "set", KID3, "免予入学", "--date", "2024-07-01", data_dir=data)
    assert "提醒：免予入学须定期复评，请填写复评日期" in result.output
    assert "提醒：缺少证明材料：监护人申请" in result.output
    roster = js("placement", "roster", data_dir=data)
    assert roster["count"] == 1 and roster["roster"][0]["conclusion"] == "暂不具备学习条件"
    assert "赵小刚" in ok("placement", "roster", data_dir=data).output


def test_disability_command_sets_the_source(data):
    result = ok("placement", "disability", KID2, "--grade", "2", "--source", "入户", data_dir=data)
    assert "肢体二级，来源 入户" in result.output


def test_options_command_lists_rules(data):
    text = ok("placement", "options", data_dir=data).output
    assert text.index("随班就读") < text.index("送教上门") < text.index("免予入学")
    assert "必须：须填写送教教师" in text and "提醒：缺少证明材料：送教上门协议书" in text


def test_three_ledgers_from_the_records(data):
    home_delivery(data)
    ok("placement", "session", KID, "--date", "2024-09-03", "--teacher", "张老师", "--periods", "3", data_dir=data)
    ws = Workspace.open(data, "tester")
    ctx = ws.context(D(2024, 9, 15))
    records = list(ws.store.all())
    placement = ws.all_ledgers["disability-placement"]
    headers = [h for h, _w in placement.headers()]
    rows = {row[headers.index("姓名")]: row for row in placement.rows(records, ctx)}
    assert set(rows) == {"王小明", "李小红", "赵小刚"}
    row = rows["王小明"]
    assert row[headers.index("安置方式")] == "送教上门" and row[headers.index("评估结论")] == "需送教上门"
    assert row[headers.index("复评日期")] == "2025-06-30" and row[headers.index("就学情况")] == "送教上门"
    delivery = ws.all_ledgers["home-delivery"]
    dh = [h for h, _w in delivery.headers()]
    [row] = list(delivery.rows(records, ctx))
    assert (row[dh.index("送教教师")], row[dh.index("已送次数")], row[dh.index("已送课时")]) == ("张老师、李老师", "1",
                                                                                                 "3")
    assert list(ws.all_ledgers["exemption-roster"].rows(records, ctx)) == []


def test_the_county_plugin_is_the_guide_example():
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
    assert COUNTY_PLUGIN in blocks


def test_county_plugin_adds_an_option_and_its_ledger_column(data, tmp_path):
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "county_placement.py").write_text(COUNTY_PLUGIN, encoding="utf-8")
    plugins = run_cli("--plugins-dir", str(folder), "plugins", data_dir=data).output
    assert "安置方式：康复中心走读" in plugins
    ok("--plugins-dir", str(folder), "placement", "assess", KID2, "--date", "2024-06-12", "--members", "王建国",
       "--conclusion", "需到特殊教育学校学习", "--recommend", "康复中心走读", "--review", "2026-06-30", data_dir=data)
    result = run_cli("--plugins-dir", str(folder), "placement", "set", KID2, "康复中心走读", "--school",
                     "县特殊教育学校",
                     data_dir=data)
    assert result.exit_code == 1 and "须填写康复中心" in result.output
    result = run_cli("--plugins-dir", str(folder), "placement", "set", KID2, "康复中心走读", "--school",
                     "县特殊教育学校",
                     "--field", "center=县残疾儿童康复中心", data_dir=data)
    assert result.exit_code == 0, result.output
    assert "提醒：缺少证明材料：康复中心接收证明" in result.output
    ws = Workspace.open(data, "tester", [folder])
    assert ws.store.get(KID2)["status"] == "康复中心走读"
    ledger = ws.all_ledgers["disability-placement"]
    headers = [h for h, _w in ledger.headers()]
    assert headers[-1] == "康复中心"
    rows = {row[headers.index("姓名")]: row for row in ledger.rows(ws.store.all(), ws.context(D(2024, 10, 1)))}
    assert rows["李小红"][-1] == "县残疾儿童康复中心" and rows["李小红"][headers.index("安置方式")] == "康复中心走读"
    check = js("--plugins-dir", str(folder), "placement", "check", "--on", "2024-10-01", data_dir=data)
    assert {a["kind"] for a in check["actions"] if a["id_number"] == KID2} == {"待补材料"}
    # without the plugin the placement is still there, and flagged as an option nobody registers any more
    check = js("placement", "check", "--on", "2024-10-01", data_dir=data)
    assert {a["kind"] for a in check["actions"] if a["id_number"] == KID2} == {"安置方式未登记"}


def test_plugins_lists_the_stock_placements(data):
    out = js("plugins", data_dir=data)
    stock = {p["name"]: p["registers"] for p in out["plugins"]}
    assert stock["disability.options"]["安置方式"][:3] == ["随班就读", "普校特教班", "特殊教育学校"]
    assert stock["disability.ledgers"]["台账"] == ["disability-placement", "home-delivery", "exemption-roster"]


def test_demo_has_placements_sessions_and_a_roster(demo_dir):
    ws = Workspace.open(demo_dir, "tester")
    items = pc.disabled_children(ws, D(2024, 12, 1))
    options = {i.option for i in items}
    assert {"随班就读", "送教上门", "免予入学", "未安置"} <= options
    assert len(ws.store.collection(pl.SESSIONS)) > 10
    assert any(i.delivery and i.delivery.current and i.delivery.current.sessions for i in items)
    assert len(pc.roster(ws)) == 1
