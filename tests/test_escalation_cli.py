"""Absences, ladders and due actions through the CLI, on the 双城 2020 profile (seed 003).

Calendar of the profile: term 2020-09-01..2021-01-15; holidays 10-01, 10-02, 10-05..10-08 and 01-01.
2020-09-14 is a Monday.
"""
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from kbtui.domain.calendar import SchoolCalendar
from kbtui.domain.escalation import episodes, span_of
from kbtui.domain.idcard import make_id
from kbtui.services.workspace import Workspace
from kbtui_plugins.escalation import shuangcheng
from tests.conftest import run_cli

D = dt.date
KID = make_id("230113", D(2010, 5, 1), 11)      # 王小明
KID2 = make_id("230113", D(2011, 3, 2), 12)     # 李小红
KID3 = make_id("230113", D(2012, 7, 9), 13)     # 赵小刚


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "sc"
    assert run_cli("init", "--profile", "shuangcheng-2020", data_dir=root).exit_code == 0
    ws = Workspace.open(root, "tester")
    base = {"town": "双城镇", "village": "双城镇", "school": "双城区第一小学", "grade": "四年级", "class_name": "2班",
            "guardian_phone": "13800000000", "responsible_edu": "张老师", "responsible_gov": "村支书刘"}
    ws.store.insert_many([
        {**base, "id_number": KID, "name": "王小明", "sex": "男", "guardian": "王建国"},
        {**base, "id_number": KID2, "name": "李小红", "sex": "女", "guardian": "李桂英"},
        {**base, "id_number": KID3, "name": "赵小刚", "sex": "男", "guardian": "赵德明"},
    ], "tester")
    return root


def cli(data: Path, *args: str):
    result = run_cli(*args, data_dir=data)
    assert result.exit_code == 0, result.output
    return result


def due(data: Path, on: str) -> list[dict]:
    return json.loads(cli(data, "escalation", "due", "--on", on, "--json").stdout)


def expected_due(docs: list[dict], on: D) -> set[tuple[str, str, bool]]:
    """What the 双城 ladder says on ``on`` for one child, computed from the domain directly."""
    cal = SchoolCalendar.from_section({"term": ["2020-09-01", "2021-01-15"], "holidays": [
        "2020-10-01", "2020-10-02", "2020-10-05", "2020-10-06", "2020-10-07", "2020-10-08", "2021-01-01"]})
    found = episodes([s for s in (span_of(d, cal) for d in docs) if s], cal)
    current = [e for e in found if e.away_on(on)]
    if not current:
        return set()
    return {(r.rung.id, r.due.isoformat(), on > r.due) for r in shuangcheng.LADDER.reached_by(current[0], on)}


def test_due_on_matches_the_ladder_day_by_day(data):
    cli(data, "absence", "add", KID, "--from", "2020-09-14", "--reason", "厌学", "--reported-by", "张老师")
    docs = [{"start": "2020-09-14"}]
    day = D(2020, 9, 11)
    seen_rungs = set()
    while day <= D(2020, 11, 10):
        got = {(a["rung"], a["due"], a["overdue"]) for a in due(data, day.isoformat())
               if a["ladder"] == "shuangcheng"}
        assert got == expected_due(docs, day), day
        seen_rungs |= {g[0] for g in got}
        day += dt.timedelta(days=3)
    assert seen_rungs == {"teacher-3", "teacher-7", "principal-7", "principal-month", "report"}


def test_due_items_named_dates_and_people(data):
    cli(data, "absence", "add", KID, "--from", "2020-09-14")
    assert due(data, "2020-09-15") == []
    [item] = due(data, "2020-09-16")            # Mon, Tue, Wed: the 3-day rung is reached on Wednesday
    assert item["id_number"] == KID and item["name"] == "王小明" and item["ladder"] == "shuangcheng"
    assert item["rung"] == "teacher-3" and item["role"] == "班主任" and item["person"] == "张老师"
    assert item["due"] == "2020-09-17" and item["overdue"] is False and "家访" in item["action"]
    assert due(data, "2020-09-18")[0]["overdue"] is True
    # over the National Day holidays the 7-day rung waits: 14–18 (5), 21 (6), 22 (7)
    assert {a["rung"] for a in due(data, "2020-09-22")} == {"teacher-3", "teacher-7", "principal-7"}
    text = cli(data, "escalation", "due", "--on", "2020-09-22").output
    assert "【逾期】王小明" in text and "班主任（张老师）" in text
    # an action recorded done disappears
    cli(data, "escalation", "done", KID, "teacher-3", "--on", "2020-09-17", "--note", "已电话联系")
    assert {a["rung"] for a in due(data, "2020-09-22")} == {"teacher-7", "principal-7"}
    again = run_cli("escalation", "done", KID, "teacher-3", "--on", "2020-09-18", data_dir=data)
    assert again.exit_code == 1 and "已记录为完成" in again.output


def test_returned_child_climbs_no_further_and_excused_days_do_not_count(data):
    cli(data, "absence", "add", KID, "--from", "2020-09-14")
    cli(data, "absence", "return", KID, "--on", "2020-09-17")           # back on Thursday
    cli(data, "absence", "add", KID2, "--from", "2020-09-14", "--days", "2", "--excused", "--reason", "病假")
    cli(data, "absence", "add", KID2, "--from", "2020-09-16")
    cli(data, "absence", "add", KID3, "--from", "2020-09-14", "--days", "3")
    on_17 = due(data, "2020-09-17")
    assert {a["id_number"] for a in on_17} == set()       # KID back, KID2 counted 1 day, KID3 back on 17th
    on_18 = {(a["id_number"], a["rung"]) for a in due(data, "2020-09-18")}
    assert on_18 == {(KID2, "teacher-3")}                 # Wed, Thu, Fri counted
    refused = run_cli("absence", "add", KID2, "--from", "2020-09-21", data_dir=data)
    assert refused.exit_code == 1 and "未返校的缺课记录" in refused.output
    bad = run_cli("absence", "add", KID, "--from", "2020-09-21", "--days", "2", "--hours", "48", data_dir=data)
    assert bad.exit_code == 1 and "只能填一项" in bad.output


COUNTY_PLUGIN = '''
import dataclasses
from kbtui import hookimpl
from kbtui.domain.escalation import Rung, Threshold, Unit


@hookimpl
def kbtui_register_ladders(registry):
    ladder = registry["shuangcheng"]
    faster = dataclasses.replace(ladder.rung("teacher-3"), threshold=Threshold(2, Unit.SCHOOL_DAYS),
                                 label="班主任2日")
    village = Rung("village-5", "村干部5日", Threshold(5, Unit.SCHOOL_DAYS), "村干部上门劝返", "村委会",
                   deadline_days=2)
    registry.replace("shuangcheng", ladder.with_rung(faster).with_rung(village, after="teacher-3"))
'''


def test_a_county_plugin_changes_and_adds_rungs(data, tmp_path):
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "county_ladder.py").write_text(COUNTY_PLUGIN, encoding="utf-8")
    run_cli("absence", "add", KID, "--from", "2020-09-14", data_dir=data)
    plain = {a["rung"] for a in due(data, "2020-09-15")}
    assert plain == set()
    result = run_cli("--plugins-dir", str(folder), "escalation", "due", "--on", "2020-09-18", "--json",
                     data_dir=data)
    assert result.exit_code == 0, result.output
    items = {a["rung"]: a for a in json.loads(result.stdout)}
    assert set(items) == {"teacher-3", "village-5"}
    assert items["teacher-3"]["rung_label"] == "班主任2日" and items["teacher-3"]["due"] == "2020-09-16"
    assert items["village-5"]["person"] == "村支书刘" and items["village-5"]["due"] == "2020-09-20"
    listing = run_cli("--plugins-dir", str(folder), "plugins", data_dir=data).output
    assert "county_ladder" in listing and "劝返流程：shuangcheng" in listing


def test_advance_marks_opens_cases_and_ledgers(data):
    cli(data, "absence", "add", KID, "--from", "2020-09-14", "--reason", "厌学")
    first = cli(data, "escalation", "advance", "--on", "2020-10-13").output
    assert "没有需要推进的事项" in first                          # one month not reached yet
    report = cli(data, "escalation", "advance", "--on", "2020-10-14").output
    assert "王小明（疑似辍学）" in report and "新立案卷 1 件" in report
    assert "没有需要推进的事项" in cli(data, "escalation", "advance", "--on", "2020-10-14").output
    ws = Workspace.open(data, "tester")
    record = ws.store.get(KID)
    assert record["status"] == "疑似辍学" and record["absence_from"] == "2020-09-14"
    entry = record["status_history"][-1]
    assert entry["status"] == "疑似辍学" and entry["date"] == "2020-10-14" and entry["by"] == "tester"
    assert "校长一个月" in entry["how"]
    cases = json.loads(cli(data, "case", "list", "--json").stdout)
    assert len(cases) == 1 and [r["rung"] for r in cases[0]["rungs"]] == [
        "teacher-3", "teacher-7", "principal-7", "principal-month"]
    cli(data, "escalation", "advance", "--on", "2020-10-28")
    ws = Workspace.open(data, "tester")
    assert ws.store.get(KID)["status"] == "辍学"
    ctx = ws.context()
    assert [r["id_number"] for r in ws.all_ledgers["dropout"].members(ws.store.all(), ctx)] == [KID]
    assert ws.all_ledgers["suspected-dropout"].members(ws.store.all(), ctx) == []
    row = next(ws.all_ledgers["dropout"].rows(ws.store.all(), ctx))
    assert "2020-09-14" in row and "2020-10-28" in row


def make_absence_list(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["双城区第一小学缺课学生名单"])
    ws.append(["序号", "身份证号", "姓名", "缺课开始日期", "缺课天数", "是否请假", "原因", "报告人"])
    for n, row in enumerate(rows, 1):
        ws.append([n, *row])
    ws.append(["填表人：张老师"])
    wb.save(path)
    return path


def test_absence_import_with_rejects(data, tmp_path):
    path = make_absence_list(tmp_path / "缺课.xlsx", [
        [KID, "王小明", "2020.9.14", "", "否", "厌学", "张老师"],
        [KID2, "李小红", "2020年9月14日", 2, "是", "病假", "张老师"],
        ["230113201201019999", "无此人", "2020-09-14", 3, "否", "", ""],
        [KID3, "赵小刚", "九月", 3, "否", "", ""],
        [KID3, "赵小钢", "2020-09-14", 3, "否", "", ""],
    ])
    result = run_cli("absence", "import", str(path), "--json", data_dir=data)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["added"] == 2 and summary["rejected"] == 3
    rejects = openpyxl.load_workbook(summary["rejects_file"]).active
    text = " ".join(str(c.value) for row in rejects.iter_rows() for c in row if c.value)
    assert "拒收原因" in text and "不一致" in text and "格式不对" in text
    absences = json.loads(cli(data, "absence", "list", "--json").stdout)
    assert {(a["id_number"], a["excused"]) for a in absences} == {(KID, False), (KID2, True)}
