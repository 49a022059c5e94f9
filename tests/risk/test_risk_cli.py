"""End to end through the CLI: a township made from its lists, the school's attendance sheets, the risk list,
a helper (结对帮扶), a planned home visit, an early case, the printable list, the weekly trend — journaled,
in the operator's scope and masked for the roles that may not see numbers."""
import json

import openpyxl
import pytest

from tests.conftest import run_cli
from tests.helpers.risk import RAN, ZHANG, attendance_sheet, cli_ok, id_of


@pytest.fixture
def data(sheets_data):
    """The township with September and October (to the 17th) imported from the class's sheets."""
    return sheets_data


def risk_json(data, *args, operator="tester"):
    result = run_cli("risk", "list", "--json", *args, data_dir=data, operator=operator)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_name(found):
    return {c["name"]: c for c in found["children"]}


def test_from_attendance_sheets_to_the_list(data):
    # Tuesday 09-30: 冉小军 absent since Monday 09-22, Sunday 09-28 counted (调休)
    found = by_name(risk_json(data, "--on", "2025-09-30"))
    ran = found[RAN]
    assert (ran["level"], ran["score"]) == ("高", 90)
    assert {f["factor"]: f["points"] for f in ran["factors"]} == {"streak": 35, "attendance": 30, "family": 15,
                                                                   "key_groups": 10}
    assert "连续无故缺课8个上课日（自9月22日起至今未返校）" in {f["reason"] for f in ran["factors"]}
    assert ZHANG not in found                       # nothing yet
    # Friday 10-17: 冉小军 back on Saturday 10-11, 张伟 away all week
    found = by_name(risk_json(data, "--on", "2025-10-17"))
    assert {f["factor"] for f in found[RAN]["factors"]} >= {"streak", "attendance"}
    assert (found[ZHANG]["level"], {f["factor"] for f in found[ZHANG]["factors"]}) == ("中", {"streak", "attendance"})
    text = cli_ok(data, "risk", "list", "--on", "2025-10-17").stdout
    assert "【高】" in text and f"{ZHANG}（{id_of(ZHANG)}）" in text and "预警 " in text
    shown = cli_ok(data, "risk", "show", id_of(ZHANG), "--on", "2025-10-17").stdout
    # 鹿角's profile counts 48 hours at once: 2 days 20, 3 days 25, 7 days 35
    assert "连续缺课：连续无故缺课5个上课日（自10月13日起至今未返校）  +25" in shown
    assert "责任人：政府线 王明涛，教育线 陈老师" in shown


def test_filters_by_village_school_and_person(data):
    on = ("--on", "2025-10-17")
    assert {c["village"] for c in risk_json(data, *on, "--village", "王家村")["children"]} == {"王家村"}
    assert risk_json(data, *on, "--school", "别的学校")["children"] == []
    assert {c["name"] for c in risk_json(data, *on, "--person", "王明涛")["children"]} >= {RAN, ZHANG}
    assert risk_json(data, *on, "--person", "冉奎")["children"] == [c for c in risk_json(data, *on)["children"]
                                                                  if c["village"] == "王家村"]
    assert {c["level"] for c in risk_json(data, *on, "--level", "中")["children"]} == {"中"}
    wrong = run_cli("risk", "list", "--level", "红", data_dir=data)
    assert wrong.exit_code == 1 and "没有“红”这个预警等级" in wrong.output


def test_the_list_turns_into_work_all_journaled(data):
    on = ("--on", "2025-10-17")
    kid = id_of(ZHANG)
    assert "已安排结对帮扶：张伟 ← 刘老师（鹿角中心校）" in cli_ok(data, "risk", "assign", kid, "刘老师",
                                                              "--note", "每周两次谈心", *on).stdout
    assert by_name(risk_json(data, *on, "--person", "刘老师"))[ZHANG]["helper"] == "刘老师"
    nobody = run_cli("risk", "assign", id_of(RAN), "无", *on, data_dir=data)
    assert nobody.exit_code == 1 and "冉小军 没有结对帮扶人：请填写帮扶人" in nobody.output
    visit = cli_ok(data, "risk", "visit", kid, "--due", "2025-10-20", *on).stdout
    assert "已安排家访：张伟，2025-10-20 前，家访人：刘老师" in visit
    tasks = json.loads(cli_ok(data, "tasks", "--today", "2025-10-21", "--json").stdout)
    planned = [t for t in tasks["tasks"] if t["id_number"] == kid and t["situation"] == "预警家访"]
    assert planned and planned[0]["late"] and planned[0]["visitor"] == "刘老师"
    case = cli_ok(data, "risk", "case", kid, *on).stdout
    assert "已立案 C20251017-001：张伟（预警提前立案（中，55分：出勤率+30、连续缺课+25））" in case
    cases = json.loads(cli_ok(data, "case", "list", "--json").stdout)
    opened = next(c for c in cases if c["id_number"] == kid)
    assert opened["persuader"] == "刘老师" and opened["opened_on"] == "2025-10-17"
    again = run_cli("risk", "case", kid, *on, data_dir=data)
    assert again.exit_code == 1 and "已有未销号的案卷" in again.output
    row = by_name(risk_json(data, *on))[ZHANG]
    assert row["case"] == "C20251017-001" and row["visit_due"].startswith("2025-10-20")
    # every change went through the store: who, which collection, what
    log = json.loads(cli_ok(data, "audit", "log", "--json").stdout)
    entries = log["entries"] if isinstance(log, dict) else log
    collections = {(e.get("detail") or {}).get("collection") for e in entries if e.get("operator") == "tester"}
    assert {"pairings", "tasks", "cases"} <= collections
    # the visit closes the planned visit
    cli_ok(data, "visit", kid, "--status", "在籍在校", "--date", "2025-10-20", "--note", "家长保证按时送校")
    tasks = json.loads(cli_ok(data, "tasks", "--today", "2025-10-21", "--json").stdout)
    assert [t["state"] for t in tasks["tasks"] if t["id_number"] == kid and t["situation"] == "预警家访"] == ["done"]
    # the pairing ends; its history stays
    assert "已结束 张伟 的结对帮扶" in cli_ok(data, "risk", "assign", kid, "无", *on).stdout
    assert by_name(risk_json(data, *on))[ZHANG]["helper"] == ""
    from kbtui.services.workspace import Workspace

    pairing = Workspace.open(data, "tester").store.collection("pairings").get(f"2025:{kid}")
    assert [h["helper"] for h in pairing["history"]] == ["刘老师", "（结束帮扶）"]


def test_a_child_leaves_the_list_when_the_factors_clear(data, tmp_path):
    # back on Monday 10-20 and present since: by 11-20 the streak and the attendance have cleared
    attendance_sheet(tmp_path / "10月全.xlsx", 10, {ZHANG: {13: "缺", 14: "缺", 15: "缺", 16: "缺", 17: "缺"}})
    attendance_sheet(tmp_path / "11月.xlsx", 11, {}, through=20)
    cli_ok(data, "absence", "import", str(tmp_path / "10月全.xlsx"))
    cli_ok(data, "absence", "import", str(tmp_path / "11月.xlsx"))
    assert ZHANG in by_name(risk_json(data, "--on", "2025-10-24"))       # 5 of the last 20 days: 75 %
    assert ZHANG not in by_name(risk_json(data, "--on", "2025-11-20"))
    shown = cli_ok(data, "risk", "show", id_of(ZHANG), "--on", "2025-11-20").stdout
    assert "未达到预警等级，不在预警名单上" in shown
    trend = json.loads(cli_ok(data, "risk", "trend", "--on", "2025-11-20", "--weeks", "10", "--json").stdout)
    assert [w["date"] for w in trend][:2] == ["2025-09-21", "2025-09-28"] and trend[-1]["date"] == "2025-11-20"
    totals = [w["total"] for w in trend]
    assert max(totals) > totals[-1]                     # more children at risk in the weeks of the absences
    text = cli_ok(data, "risk", "trend", "--on", "2025-11-20").stdout
    assert "近8周预警人数" in text


def test_the_printable_list(data, tmp_path):
    target = tmp_path / "预警名单.xlsx"
    out = cli_ok(data, "risk", "export", "-o", str(target), "--on", "2025-10-17")
    assert "已导出预警名单" in out.stdout
    ws = openpyxl.load_workbook(target).active
    rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "鹿角镇2025年义务教育控辍保学辍学风险预警名单"
    assert rows[1][0].startswith("统计日期：2025年10月17日") and "高≥60分" in rows[1][0]
    assert rows[2][0].startswith("填报单位：鹿角镇")
    header = rows[3]
    assert header[:5] == ["序号", "村（社区）", "姓名", "性别", "身份证号"] and "预警因素（分）" in header
    data_rows = [r for r in rows[4:] if isinstance(r[0], int)]
    assert data_rows[0][2] == RAN and data_rows[0][4] == id_of(RAN) and data_rows[0][8] == "高"
    assert "连续缺课：" in data_rows[0][10]
    assert any(str(r[0] or "").startswith("填表人") for r in rows)
    assert ws.freeze_panes == "A5" and ws.print_title_rows == "$4:$4"
    log = json.loads(cli_ok(data, "audit", "log", "--action", "export", "--json").stdout)
    entries = log["entries"] if isinstance(log, dict) else log
    assert any((e.get("detail") or {}).get("what") == rows[0][0] for e in entries)


def test_scope_masking_and_read_only_roles(data, tmp_path):
    cli_ok(data, "operators", "add", "wmt", "--role", "村干部", "--village", "周家村")
    cli_ok(data, "operators", "add", "duban", "--role", "督导")
    on = ("--on", "2025-10-17")
    mine = risk_json(data, *on, operator="wmt")
    assert {c["village"] for c in mine["children"]} == {"周家村"}
    assert all("*" in c["id_number"] for c in mine["children"])          # a cadre's lists are masked
    refused = run_cli("risk", "assign", id_of("陈芳"), "刘老师", *on, data_dir=data, operator="wmt")
    assert refused.exit_code == 1 and "不在您的管辖范围" in refused.output and "陈芳" not in refused.output
    ok = run_cli("risk", "assign", id_of(ZHANG), "王明涛", *on, data_dir=data, operator="wmt")
    assert ok.exit_code == 0, ok.output
    for args in (("assign", id_of(ZHANG), "刘老师"), ("visit", id_of(ZHANG), "--due", "2025-10-20"),
                 ("case", id_of(ZHANG))):
        result = run_cli("risk", *args, *on, data_dir=data, operator="duban")
        assert result.exit_code == 1 and "您的角色（督导）不能" in result.output, result.output
    assert len(risk_json(data, *on, operator="duban")["children"]) == len(risk_json(data, *on)["children"])
    target = tmp_path / "督导.xlsx"
    cli_ok(data, "risk", "export", "-o", str(target), *on, operator="duban")
    ids = [row[4] for row in openpyxl.load_workbook(target).active.iter_rows(min_row=5, values_only=True)
           if isinstance(row[0], int)]
    assert ids and all("*" in i for i in ids)                            # masked in a supervisor's export


def test_factors_and_bad_settings_in_chinese(data):
    text = cli_ok(data, "risk", "factors").stdout
    assert "预警等级：高 ≥ 60 分，中 ≥ 40 分，低 ≥ 20 分" in text
    assert "streak  连续缺课（risk.attendance）" in text and "bands=[[2, 20], [3, 25], [7, 35], [20, 50]]" in text
    listed = json.loads(cli_ok(data, "risk", "factors", "--json").stdout)
    assert {f["id"] for f in listed["factors"]} >= {"family", "key_groups", "disability", "attendance", "streak",
                                                    "relapse", "primary_to_junior", "junior3_spring", "vocational",
                                                    "enrollment", "situation", "failed_visit", "reasons"}
    profile = data / "profile.toml"
    profile.write_text(profile.read_text(encoding="utf-8") + "\n[risk.factors.attendance]\nwindw = 10\n",
                       encoding="utf-8")
    bad = run_cli("risk", "list", data_dir=data)
    assert bad.exit_code == 1
    assert "错误：配置文件 [risk.factors.attendance]（出勤率）中的“windw”不认识，可用的有：weight" in bad.output
    assert "Traceback" not in bad.output
