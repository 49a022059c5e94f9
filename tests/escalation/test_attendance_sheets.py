"""Daily attendance sheets (考勤表) into absences: ``kbtui absence import`` on a class's month as schools
keep it (title rows, a weekday row, one column per day, totals, a footer), on the real 2025 calendar."""
import datetime as dt
import json

import openpyxl
import pytest

from kbtui.domain.attendance import ABSENT, LEAVE, PRESENT, MarkError, parse_mark, runs
from kbtui.services.escalation import absences
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.risk import CAL, attendance_sheet, cli_ok, id_of, township

D = dt.date


@pytest.mark.parametrize("cell, kind, reason", [
    ("√", PRESENT, ""), ("✓", PRESENT, ""), (None, PRESENT, ""), ("  ", PRESENT, ""), ("迟到", PRESENT, ""),
    ("缺", ABSENT, ""), ("×", ABSENT, ""), ("旷课", ABSENT, ""), ("Ｘ", ABSENT, ""), (0, ABSENT, ""), (1, PRESENT, ""),
    ("假", LEAVE, "请假"), ("病", LEAVE, "病假"), ("事", LEAVE, "事假"), ("△", LEAVE, "病假"), ("○", LEAVE, "事假"),
])
def test_the_marks_schools_write(cell, kind, reason):
    mark = parse_mark(cell)
    assert (mark.kind, mark.reason) == (kind, reason)


@pytest.mark.parametrize("cell", ["？", "O", "缺1", 2, True])
def test_an_unknown_mark_is_refused_with_the_vocabulary(cell):
    with pytest.raises(MarkError, match="看不懂，可用：√"):
        parse_mark(cell)


def test_runs_cross_the_national_day_holidays():
    marks = [(D(2025, 9, 29), parse_mark("缺")), (D(2025, 9, 30), parse_mark("缺")), (D(2025, 10, 9), parse_mark("缺")),
             (D(2025, 10, 10), parse_mark("病")), (D(2025, 10, 11), parse_mark("√")),
             (D(2025, 10, 13), parse_mark("缺"))]
    found = runs(marks, CAL)
    assert [(r.start, r.last, r.excused, r.reason, r.days) for r in found] == [
        (D(2025, 9, 29), D(2025, 10, 9), False, "", 3),      # one run: 10-01..10-08 are no school days
        (D(2025, 10, 10), D(2025, 10, 10), True, "病假", 1),
        (D(2025, 10, 13), D(2025, 10, 13), False, "", 1),
    ]


@pytest.fixture
def data(tmp_path):
    return township(tmp_path)


def absence_rows(data, name):
    ws = Workspace.open(data, "tester")
    return [(d["start"], d.get("until"), d.get("returned_on"), d.get("excused"), d.get("reason"), d.get("source"))
            for d in absences.absences_of(ws, id_of(name))]


def import_json(data, path, *args):
    return json.loads(cli_ok(data, "absence", "import", str(path), *args, "--json").stdout)


def test_a_september_sheet_makes_absences(data, tmp_path):
    sheet = attendance_sheet(tmp_path / "九月考勤.xlsx", 9, {
        "冉小军": {22: "缺", 23: "缺", 24: "缺", 25: "缺", 26: "缺", 28: "缺", 29: "缺", 30: "缺"},
        "王小红": {10: "病", 11: "病", 15: "缺"},
        "李明": {3: "事"},
    })
    summary = import_json(data, sheet)
    assert summary["kind"] == "attendance" and summary["rejected"] == 0
    assert summary["sheets"] == [{"sheet": "9月", "month": "2025-09", "school": "鹿角中心校", "class_name": "五年级2班",
                                  "pupils": 5, "recorded_through": "2025-09-30"}]
    assert summary["added"] == 4 and summary["returned"] == 0
    # the run reaching the last day filled in (Tuesday 09-30) is still running: the ladders count on
    assert absence_rows(data, "冉小军") == [("2025-09-22", None, None, False, "", "考勤表")]
    assert absence_rows(data, "王小红") == [("2025-09-10", "2025-09-11", None, True, "病假", "考勤表"),
                                          ("2025-09-15", "2025-09-15", None, False, "", "考勤表")]
    assert absence_rows(data, "李明") == [("2025-09-03", "2025-09-03", None, True, "事假", "考勤表")]
    # the same sheet again adds nothing
    again = import_json(data, sheet)
    assert (again["added"], again["unchanged"], again["rejected"]) == (0, 4, 0)
    # the ladders see it: 冉小军's 8th school day is Tuesday 09-30 (Sunday 09-28 is a 调休 school day)
    due = json.loads(cli_ok(data, "escalation", "due", "--on", "2025-09-30", "--json").stdout)
    assert {(a["name"], a["rung"], a["reached"]) for a in due} >= {("冉小军", "report-48h", "2025-09-23"),
                                                                   ("冉小军", "dual-line", "2025-09-24")}


def test_october_continues_the_absence_and_ends_it_on_saturday(data, tmp_path):
    attendance_sheet(tmp_path / "9.xlsx", 9, {"冉小军": {d: "缺" for d in (22, 23, 24, 25, 26, 28, 29, 30)}})
    import_json(data, tmp_path / "9.xlsx")
    # October: absent Thursday 10-09 and Friday 10-10, back on Saturday 10-11 (a 调休 school day)
    october = attendance_sheet(tmp_path / "10.xlsx", 10, {"冉小军": {9: "缺", 10: "缺"}}, through=17)
    summary = import_json(data, october)
    assert (summary["added"], summary["returned"], summary["rejected"]) == (0, 1, 0)
    assert absence_rows(data, "冉小军") == [("2025-09-22", None, "2025-10-11", False, "", "考勤表")]
    episodes = absences.episodes_of(Workspace.open(data, "tester"), id_of("冉小军"))
    assert len(episodes) == 1 and len(episodes[0].counted) == 10 and episodes[0].returned_on == D(2025, 10, 11)


def test_a_sheet_filled_a_few_days_later_closes_its_own_absence(data, tmp_path):
    attendance_sheet(tmp_path / "a.xlsx", 10, {"张伟": {13: "缺", 14: "缺"}}, through=14)
    import_json(data, tmp_path / "a.xlsx")
    assert absence_rows(data, "张伟") == [("2025-10-13", None, None, False, "", "考勤表")]
    attendance_sheet(tmp_path / "b.xlsx", 10, {"张伟": {13: "缺", 14: "缺", 15: "缺"}}, through=20)
    summary = import_json(data, tmp_path / "b.xlsx")
    assert (summary["added"], summary["unchanged"], summary["returned"]) == (0, 1, 1)
    assert absence_rows(data, "张伟") == [("2025-10-13", None, "2025-10-16", False, "", "考勤表")]


def test_a_messy_sheet_says_what_is_wrong_by_row_and_column(data, tmp_path):
    path = attendance_sheet(tmp_path / "乱.xlsx", 10, {
        "冉小军": {15: "O"},                      # not a mark
        "王小红": {1: "缺"},                      # National Day
        "李明": {12: "缺"},                       # a Sunday
        "陈芳": {9: "缺"},                        # fine
    }, names=["冉小军", "王小红", "李明", "陈芳", "赵无名", "陈芳"])
    summary = import_json(data, path)
    assert (summary["added"], summary["rejected"]) == (1, 5)
    book = openpyxl.load_workbook(summary["rejects_file"])
    rows = [[c for c in row] for row in book.active.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[1] == "姓名")
    reasons = {r[1]: r[header.index("拒收原因")] for r in rows if r and r[1] in ("冉小军", "王小红", "李明", "赵无名",
                                                                                 "陈芳")}
    # rows: title 1, month 2, header 3, weekdays 4, pupils from 5; columns: 序号 A, 姓名 B, 性别 C, day 1 in D
    assert reasons["冉小军"].startswith("第5行：R列（10月15日）标记“O”看不懂，可用：√")
    assert reasons["王小红"].startswith("第6行：D列（10月1日，星期三）不是上课日（国庆节），却标了“缺”")
    assert "O列（10月12日，星期日）不是上课日（周末）" in reasons["李明"] and "kbtui calendar show" in reasons["李明"]
    assert reasons["赵无名"] == "第9行：找不到鹿角中心校的学生“赵无名”：请核对姓名，或在考勤表中加一列身份证号或学籍号"
    assert reasons["陈芳"] == "第10行：与第8行是同一名学生"
    assert "2025年10月" in rows[0][0]             # the title tells the month: the file can be imported again
    # fixed in place and imported again: the rows go in (the duplicate row is deleted)
    ws = book.active
    for row in ws.iter_rows(min_row=5):
        if row[1].value == "冉小军":
            row[header.index("15")].value = "缺"
        if row[1].value in ("王小红", "李明"):
            for cell in row[3:header.index("出勤天数")]:
                cell.value = "√" if cell.value == "缺" else cell.value
    ws.delete_rows(next(i for i, row in enumerate(ws.iter_rows(values_only=True), 1) if row[1] == "赵无名"), 2)
    book.save(tmp_path / "改正.xlsx")
    fixed = import_json(data, tmp_path / "改正.xlsx")
    assert (fixed["added"], fixed["rejected"]) == (1, 0), fixed
    assert absence_rows(data, "冉小军") == [("2025-10-15", "2025-10-15", None, False, "", "考勤表")]


def test_the_month_comes_from_the_title_the_headers_or_the_option(data, tmp_path):
    bare = attendance_sheet(tmp_path / "考勤.xlsx", 9, {"张伟": {8: "缺"}}, month_row=False,
                            title="鹿角中心校五年级（2）班学生考勤表", sheet="Sheet1")
    out = run_cli("absence", "import", str(bare), data_dir=data)
    assert out.exit_code == 1 and "看不出是哪一年哪个月的考勤" in out.output and "--month 2025-09" in out.output
    assert cli_ok(data, "absence", "import", str(bare), "--month", "2025-09").stdout.count("登记缺课 1 条") == 1
    # "9月" without a year: the profile's terms say 2025
    short = attendance_sheet(tmp_path / "九月.xlsx", 9, {"王小红": {8: "缺"}}, month_row=False,
                             title="鹿角中心校五年级2班9月考勤表", sheet="Sheet1")
    assert import_json(data, short)["sheets"][0]["month"] == "2025-09"
    bad = run_cli("absence", "import", str(bare), "--month", "九月", data_dir=data)
    assert bad.exit_code == 1 and "月份“九月”看不懂" in bad.output


def test_dates_as_headers_and_pupils_by_id_or_student_number(data, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["鹿角中心校 学生考勤登记表"])
    days = [D(2025, 11, d) for d in range(3, 8)]
    ws.append(["姓名", "学籍号", *days])
    ws.append(["李明", "G" + id_of("李明"), "√", "缺", "缺", "√", "√"])
    ws.append(["王小红", "G" + id_of("王小红"), "√", "√", "√", "假", "√"])
    wb.save(tmp_path / "十一月.xlsx")
    summary = import_json(data, tmp_path / "十一月.xlsx")
    assert summary["sheets"][0]["month"] == "2025-11" and summary["added"] == 2
    assert absence_rows(data, "李明") == [("2025-11-04", "2025-11-05", None, False, "", "考勤表")]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2025年11月考勤"])
    ws.append(["姓名", "身份证号"] + [f"11月{d}日" for d in range(10, 15)])
    ws.append(["张伟", id_of("张伟"), "缺", "√", "√", "√", "√"])
    ws.append(["张伟伟", id_of("张伟"), "√", "√", "√", "√", "√"])
    wb.save(tmp_path / "身份证.xlsx")
    summary = import_json(data, tmp_path / "身份证.xlsx")
    assert (summary["added"], summary["rejected"]) == (1, 1)
    reason = openpyxl.load_workbook(summary["rejects_file"]).active.cell(5, 8).value
    assert "姓名“张伟伟”与系统中的“张伟”不一致" in reason


def test_a_sheet_marking_absences_only_counts_blanks_as_present_up_to_today(data, tmp_path):
    from kbtui.services.escalation.attendance_sheets import import_attendance

    sheet = attendance_sheet(tmp_path / "只记缺勤.xlsx", 10, {"陈芳": {20: "缺", 21: "缺"}}, present="")
    ws = Workspace.open(data, "tester")
    result = import_attendance(ws, sheet, today=D(2025, 10, 21))
    assert result.sheets[0].recorded_through == "2025-10-21"
    assert absence_rows(data, "陈芳") == [("2025-10-20", None, None, False, "", "考勤表")]   # still away today
    import_attendance(ws, sheet, today=D(2025, 10, 24))
    assert absence_rows(data, "陈芳") == [("2025-10-20", None, "2025-10-22", False, "", "考勤表")]


def test_a_village_cadre_imports_only_the_pupils_of_the_village(data, tmp_path):
    cli_ok(data, "operators", "add", "wmt", "--role", "村干部", "--village", "周家村")
    sheet = attendance_sheet(tmp_path / "班.xlsx", 10, {"王小红": {13: "缺"}, "张伟": {13: "缺"}}, through=17)
    result = run_cli("absence", "import", str(sheet), "--json", data_dir=data, operator="wmt")
    summary = json.loads(result.stdout)
    assert summary["added"] == 1 and summary["rejected"] == 2          # 王小红 and 陈芳 live in 王家村
    book = openpyxl.load_workbook(summary["rejects_file"]).active
    reasons = [row[-2] for row in book.iter_rows(values_only=True) if row and row[1] in ("王小红", "陈芳")]
    assert all("在您能查看的儿童中找不到" in r for r in reasons)
    assert absence_rows(data, "张伟") == [("2025-10-13", "2025-10-13", None, False, "", "考勤表")]
    cli_ok(data, "operators", "add", "duban", "--role", "督导")
    refused = run_cli("absence", "import", str(sheet), data_dir=data, operator="duban")
    assert refused.exit_code == 1 and "您的角色（督导）不能导入考勤表" in refused.output


def test_a_list_of_absences_still_imports_as_before(data, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["身份证号", "姓名", "缺课开始日期", "缺课天数", "是否请假", "原因"])
    ws.append([id_of("张伟"), "张伟", "2025-10-13", 2, "否", "厌学"])
    wb.save(tmp_path / "缺课名单.xlsx")
    out = cli_ok(data, "absence", "import", str(tmp_path / "缺课名单.xlsx"))
    assert "读取 1 行，登记缺课 1 条，未导入 0 行" in out.stdout
    wrong = run_cli("absence", "import", str(tmp_path / "缺课名单.xlsx"), "--month", "2025-10", data_dir=data)
    assert wrong.exit_code == 1 and "不是考勤表" in wrong.output
