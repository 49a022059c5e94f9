"""Helpers of the early-warning and attendance-sheet tests: the 鹿角 profile moved to the 2025 autumn term, a
township made through the CLI from the lists a township gets, and attendance sheets as schools keep them."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from kbtui.domain.idcard import make_id
from kbtui.profiles import available_profiles
from kbtui.services import school_calendar as sc
from tests.conftest import run_cli

D = dt.date
CALENDAR_2025 = '[calendar]\nterm = ["2025-09-01", "2026-01-16"]\n'
CAL = sc.build({"term": ["2025-09-01", "2026-01-16"]})
SCHOOL = "鹿角中心校"
WEEKDAYS = "一二三四五六日"


def profile_2025(tmp_path: Path, calendar: str = CALENDAR_2025) -> Path:
    """The 鹿角 profile (its [risk] section included) moved to the 2025 autumn term."""
    text = (Path(available_profiles()["lujiao-2024"]).read_text(encoding="utf-8")
            .replace('id = "2024"', 'id = "2025"').replace("year = 2024", "year = 2025")
            .replace("鹿角镇2024年", "鹿角镇2025年"))
    start = text.index("[calendar]")
    end = text.index("\n[", start + 1)
    path = tmp_path / "lujiao-2025.toml"
    path.write_text(text[:start] + calendar + text[end:], encoding="utf-8")
    return path


def cli_ok(data: Path, *args: str, operator: str = "tester"):
    result = run_cli(*args, data_dir=data, operator=operator)
    assert result.exit_code == 0, result.output
    return result


# Pupils of 鹿角中心校 五年级（2）班: (name, sex, birth, village, family type, key groups, 学籍号 prefix)
PUPILS = [
    ("冉小军", "男", D(2014, 5, 1), "周家村", "监测户", "留守儿童"),
    ("王小红", "女", D(2014, 6, 2), "王家村", "一般农户", ""),
    ("李明", "男", D(2014, 7, 3), "周家村", "脱贫户", "学困生"),
    ("陈芳", "女", D(2014, 8, 4), "王家村", "一般农户", "随迁子女、返乡儿童"),
    ("张伟", "男", D(2014, 3, 5), "周家村", "一般农户", ""),
]


def id_of(name: str) -> str:
    for n, (pupil, _sex, born, *_rest) in enumerate(PUPILS, 1):
        if pupil == name:
            return make_id("500243", born, 10 + n * 2 + (1 if _sex == "男" else 0))
    raise KeyError(name)


def _book(path: Path, header: list[str], rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["鹿角镇2025年名单"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def township(tmp_path: Path) -> Path:
    """A 2025 data folder with the class's pupils from the police, school, poverty and civil lists, and
    their responsible people (双线: 村干部 王明涛 / 冉奎, 班主任 陈老师)."""
    data = tmp_path / "data"
    cli_ok(data, "init", "--profile", str(profile_2025(tmp_path)))
    police = _book(tmp_path / "户籍.xlsx", ["姓名", "身份证号", "性别", "村（社区）", "组", "监护人", "联系电话"],
                   [[p[0], id_of(p[0]), p[1], p[3], "1组", f"{p[0][0]}家长", "13800000000"] for p in PUPILS])
    school = _book(tmp_path / "学籍.xlsx", ["姓名", "身份证号", "学籍号", "学校名称", "年级", "班级", "学籍状态"],
                   [[p[0], id_of(p[0]), "G" + id_of(p[0]), SCHOOL, "五年级", "2班", "在读"] for p in PUPILS])
    poverty = _book(tmp_path / "监测.xlsx", ["姓名", "身份证号", "家庭类型"],
                    [[p[0], id_of(p[0]), p[4]] for p in PUPILS])
    civil = _book(tmp_path / "民政.xlsx", ["姓名", "身份证号", "重点群体"],
                  [[p[0], id_of(p[0]), p[5]] for p in PUPILS if p[5]])
    cli_ok(data, "import", "police", str(police))
    cli_ok(data, "import", "school", str(school))
    cli_ok(data, "import", "poverty", str(poverty))
    cli_ok(data, "import", "civil", str(civil))
    for name, role, unit in (("王明涛", "村干部", "周家村"), ("冉奎", "村干部", "王家村"), ("陈老师", "班主任", SCHOOL),
                             ("刘老师", "教师", SCHOOL)):
        cli_ok(data, "people", "add", name, "--role", role, "--unit", unit)
    cli_ok(data, "assign", "--village", "周家村", "--gov", "王明涛", "--edu", "陈老师")
    cli_ok(data, "assign", "--village", "王家村", "--gov", "冉奎", "--edu", "陈老师")
    return data


def attendance_sheet(path: Path, month: int, marks: dict[str, dict[int, str]], *, year: int = 2025,
                     title: str = f"{SCHOOL}五年级（2）班学生考勤表", month_row: bool = True, sheet: str | None = None,
                     through: int | None = None, names: list[str] | None = None, present: str = "√",
                     extra_columns: dict[str, dict[str, object]] | None = None, book=None,
                     calendar=CAL, sexes: dict[str, str] | None = None) -> Path:
    """A class's month as schools keep it: title rows, 序号 / 姓名 / 性别, one column per day (1 … 31),
    totals; a row of weekdays; a mark on every school day of ``calendar`` (``present`` unless ``marks`` say
    otherwise) up to day ``through``; weekends and holidays blank; a footer. ``sexes``: the pupils' sex by
    name (default: the class of ``PUPILS``)."""
    wb = book or openpyxl.Workbook()
    ws = wb.active if book is None else wb.create_sheet()
    ws.title = sheet or f"{month}月"
    days = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    extra = extra_columns or {}
    ws.append([title])
    if month_row:
        ws.append([f"{year}年{month}月"])
    ws.append(["序号", "姓名", "性别", *extra] + list(range(1, days + 1)) + ["出勤天数", "缺勤天数", "备注"])
    ws.append(["", "星期", "", *([""] * len(extra))]
              + [WEEKDAYS[dt.date(year, month, d).weekday()] for d in range(1, days + 1)])
    for n, name in enumerate(names or [p[0] for p in PUPILS], 1):
        sex = (sexes or {p[0]: p[1] for p in PUPILS}).get(name, "")
        row = [n, name, sex, *(extra[c].get(name, "") for c in extra)]
        for d in range(1, days + 1):
            day = dt.date(year, month, d)
            if through is not None and d > through:
                row.append(None)
            elif d in marks.get(name, {}):
                row.append(marks[name][d])
            elif calendar.is_school_day(day):
                row.append(present or None)
            else:
                row.append(None)
        ws.append(row)
    ws.append([])
    ws.append(["班主任签字：", "", "", "填表日期："])
    wb.save(path)
    return path


RAN = "冉小军"
ZHANG = "张伟"


def township_with_sheets(tmp: Path) -> Path:
    """``township`` with the class's September and October (to the 17th) attendance sheets imported:
    冉小军 away 09-22 … 10-10 (back on Saturday 10-11), 王小红 two days sick, 张伟 away 10-13 … 10-17."""
    data = township(tmp)
    attendance_sheet(tmp / "9月.xlsx", 9, {RAN: {d: "缺" for d in (22, 23, 24, 25, 26, 28, 29, 30)},
                                          "王小红": {10: "病", 11: "病"}})
    attendance_sheet(tmp / "10月.xlsx", 10, {RAN: {9: "缺", 10: "缺"},
                                            ZHANG: {d: "缺" for d in (13, 14, 15, 16, 17)}}, through=17)
    for sheet in ("9月.xlsx", "10月.xlsx"):
        result = cli_ok(data, "absence", "import", str(tmp / sheet))
        assert "未导入 0 行" in result.stdout, result.stdout
    return data


