"""The 双山 ledgers: classification (the 比对) as a table, titles, membership, order, the exported form."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from kbtui.domain import status as st
from kbtui.domain.classify import classify
from kbtui.domain.ledger import LedgerContext
from kbtui.profiles import find_profile, load_profile, parse_profile
from kbtui_plugins.ledgers import shuangshan as ss
from tests.helpers.imports import cid, init_data, police_rows, read_sheet, run, run_json, xlsx

PROFILE = load_profile(find_profile("shuangshan-2024"))
OURS = ("in-school-local", "in-school-nonlocal", "not-in-school", "deferred")

# 双山 2024: local 6–15 on 2024-08-31 = born 2008-09-01..2018-08-31; non-local (双山小学) 6–12 =
# born 2011-09-01..2018-08-31; age 6 = born 2017-09-01..2018-08-31.
CASES = [
    # sources, born, school, 学籍状态, finding → cohort, situation, ledgers
    (["police"], "2015-03-04", None, None, None, "local", st.PENDING_VISIT, set()),
    (["police"], "2018-05-06", None, None, None, "local", st.DEFERRAL_CHECK, {"deferred"}),
    (["police"], "2017-09-01", None, None, None, "local", st.DEFERRAL_CHECK, {"deferred"}),
    (["police"], "2017-08-31", None, None, None, "local", st.PENDING_VISIT, set()),          # age 7
    (["police"], "2008-09-01", None, None, None, "local", st.PENDING_VISIT, set()),          # age 15
    (["police"], "2008-08-31", None, None, None, None, st.OUTSIDE_COHORT, set()),            # age 16
    (["police"], "2018-09-01", None, None, None, None, st.OUTSIDE_COHORT, set()),            # age 5
    (["police", "school"], "2015-03-04", "双山小学", "在读", None, "local", st.IN_SCHOOL, {"in-school-local"}),
    (["police", "school"], "2015-03-04", "县第一中学", "在读", None, "local", st.IN_SCHOOL, {"in-school-local"}),
    (["police", "school"], "2015-03-04", "双山小学", "休学", None, "local", st.ENROLLED_ABSENT, {"not-in-school"}),
    (["police", "school"], "2015-03-04", "双山小学", "转出", None, "local", st.PENDING_VISIT, set()),
    (["police", "school"], "2018-05-06", "双山小学", "在读", None, "local", st.IN_SCHOOL, {"in-school-local"}),
    (["school"], "2014-02-03", "双山小学", "在读", None, "nonlocal", st.IN_SCHOOL, {"in-school-nonlocal"}),
    (["school"], "2014-02-03", "双山小学", "休学", None, "nonlocal", st.ENROLLED_ABSENT, {"not-in-school"}),
    (["school"], "2011-08-31", "双山小学", "在读", None, None, st.IN_SCHOOL, set()),           # 13: too old
    (["school"], "2014-02-03", "县实验小学", "在读", None, None, st.IN_SCHOOL, set()),        # other school
    (["school"], "2018-05-06", "双山小学", "转出", None, "nonlocal", st.PENDING_VISIT, set()),  # no deferral
    # a recorded finding wins over the lists
    (["police"], "2015-03-04", None, None, "外地就读", "local", "外地就读", {"in-school-local"}),
    (["police", "school"], "2015-03-04", "双山小学", "在读", "疑似辍学", "local", "疑似辍学", {"not-in-school"}),
    (["police"], "2018-05-06", None, None, "延缓入学", "local", "延缓入学", {"deferred"}),
    (["police"], "2018-05-06", None, None, "失学", "local", "失学", {"deferred"}),
    (["police"], "2015-03-04", None, None, "失学", "local", "失学", {"not-in-school"}),
    (["police"], "2015-03-04", None, None, "户籍迁出", "local", "户籍迁出", set()),
    (["school"], "2014-02-03", "双山小学", "在读", "劝返复学", "nonlocal", "劝返复学", {"in-school-nonlocal"}),
]


def record(sources, born, school, state, finding, seq=11) -> dict:
    r = {"id_number": cid(born, seq), "name": "张三", "birth_date": born, "sources": sources, "village": "高峰村"}
    if school:
        r["school"] = school
    if state:
        r["enrollment_status"] = state
    if finding:
        r["status"] = finding
    return r


@pytest.mark.parametrize("sources,born,school,state,finding,cohort,situation,ledgers", CASES)
def test_classification_and_membership(sources, born, school, state, finding, cohort, situation, ledgers):
    r = record(sources, born, school, state, finding)
    c = classify(r, PROFILE)
    assert (c.cohort, c.situation, c.derived) == (cohort, situation, finding is None)
    ctx = LedgerContext(PROFILE, dt.date(2024, 9, 10))
    assert {ledger.id for ledger in ss.LEDGERS if ledger.include(r, ctx)} == ledgers


def test_titles_follow_the_profile():
    ctx = LedgerContext(PROFILE)
    assert [ledger.title_for(ctx) for ledger in ss.LEDGERS] == [
        "双山镇2024年秋期义务教育阶段在籍在校适龄儿童台账（双山籍）",
        "双山镇2024年秋期义务教育阶段在籍在校适龄儿童入学台账（非双山籍）",
        "双山镇2024年秋期义务教育阶段未在校适龄儿童台账",
        "双山镇2024年秋期义务教育阶段适龄儿童缓学台账",
    ]
    other = parse_profile({
        "locality": {"township": "清河镇", "schools": ["清河小学"]},
        "campaign": {"year": 2025, "term_name": "秋期"},
        "cohorts": {"local": {"ages": [6, 15]}, "nonlocal": {"ages": [6, 12], "schools": ["清河小学"]}},
    })
    ctx = LedgerContext(other)
    assert ss.IN_SCHOOL_LOCAL.title_for(ctx) == "清河镇2025年秋期义务教育阶段在籍在校适龄儿童台账（本镇籍）"
    assert ss.IN_SCHOOL_NONLOCAL.title_for(ctx) == "清河镇2025年秋期义务教育阶段在籍在校适龄儿童入学台账（非本镇籍）"
    plain = parse_profile({"locality": {"township": "清河镇"}, "campaign": {"year": 2025},
                           "cohorts": {"local": {"ages": [6, 15]}}})
    assert ss.DEFERRED.title_for(LedgerContext(plain)) == "清河镇2025年义务教育阶段适龄儿童缓学台账"


def test_columns_and_order():
    assert [h for h, _ in ss.IN_SCHOOL_LOCAL.headers()] == [
        "序号", "村（社区）", "组", "姓名", "性别", "身份证号", "出生日期", "就读学校", "年级", "班级", "学籍号",
        "监护人", "联系电话", "排查走访情况", "排查人", "备注"]
    assert "是否办理缓学手续" in [h for h, _ in ss.DEFERRED.headers()]
    assert "户籍类别" in [h for h, _ in ss.NOT_IN_SCHOOL.headers()]
    ctx = LedgerContext(PROFILE)
    children = [
        {**record(["police"], "2015-03-04", None, None, "外地就读", 11), "village": "高峰村", "group": "10组",
         "name": "甲"},
        {**record(["police"], "2015-03-04", None, None, "外地就读", 13), "village": "高峰村", "group": "2组",
         "name": "乙"},
        {**record(["police"], "2015-03-04", None, None, "外地就读", 15), "village": "尖山村", "group": "3组",
         "name": "丙"},
        {**record(["police"], "2015-03-04", None, None, "外地就读", 17), "village": "高峰村", "group": "2组",
         "name": "丁"},
    ]
    rows = list(ss.IN_SCHOOL_LOCAL.rows(children, ctx))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (1, "尖山村", "3组", "丙"), (2, "高峰村", "2组", "丁"), (3, "高峰村", "2组", "乙"), (4, "高峰村", "10组", "甲")]
    assert rows[0][13] == "外地就读"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = init_data(tmp_path)
    A, B, C = cid("2015-03-04", 11), cid("2018-05-06", 12), cid("2012-07-08", 21)
    run_json(d, "import", "police", str(xlsx(tmp_path / "p.xlsx", police_rows([
        (A, "张三", "男", "2015-03-04", "高峰村", "3组", "", "张大山", "13800138000"),
        (B, "李四", "女", "2018-05-06", "尖山村", "5组", "", "李母", "13800138001"),
        (C, "王五", "男", "2012-07-08", "高峰村", "1组", "", "王父", "13800138002"),
    ]))))
    run_json(d, "import", "school", str(xlsx(tmp_path / "s.xlsx", [
        ["学校名称", "姓名", "身份证号", "年级", "班级", "学籍号", "学籍状态"],
        ["双山小学", "张三", A, "四年级", "2班", "G" + A, "在读"],
        ["双山小学", "王五", C, "六年级", "1班", "G" + C, "休学"],
    ])))
    return d


def test_ledger_list_and_stats(data: Path):
    listed = {i["id"]: i for i in run_json(data, "ledger", "list")["ledgers"] if i["id"] in OURS}
    assert {k: v["rows"] for k, v in listed.items()} == \
        {"in-school-local": 1, "in-school-nonlocal": 0, "not-in-school": 1, "deferred": 1}
    assert listed["deferred"]["title"] == "双山镇2024年秋期义务教育阶段适龄儿童缓学台账"
    stats = run_json(data, "stats")
    assert {k: v for k, v in stats["ledgers"].items() if k in OURS} == \
        {"in-school-local": 1, "in-school-nonlocal": 0, "not-in-school": 1, "deferred": 1}
    assert stats["pending"] == 1          # 李四: 缓学待核实
    assert "in-school-local" in run(data, "ledger", "list").output


def test_export_is_a_printable_form(data: Path, tmp_path: Path):
    out = run_json(data, "ledger", "export", "in-school-local", "-o", str(tmp_path / "l.xlsx"))
    assert out["rows"] == 1 and out["title"].endswith("（双山籍）")
    wb = openpyxl.load_workbook(tmp_path / "l.xlsx")
    assert wb.sheetnames == ["在籍在校台账", "_kbtui"]
    ws, marker = wb["在籍在校台账"], wb["_kbtui"]
    assert marker.sheet_state == "hidden" and ws.sheet_state == "visible"
    assert ws["A1"].value == "双山镇2024年秋期义务教育阶段在籍在校适龄儿童台账（双山籍）"
    assert ws["A2"].value.startswith("填报单位：双山镇") and "填报日期" in ws["A2"].value
    assert [c.value for c in ws[3]][:4] == ["序号", "村（社区）", "组", "姓名"]
    assert ws.freeze_panes == "A4"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$3:$3"
    assert [c.value for c in ws[4]][:8] == [1, "高峰村", "3组", "张三", "男", cid("2015-03-04", 11), "2015-03-04",
                                            "双山小学"]
    assert "填表人" in ws["A6"].value and "审核人" in ws["A6"].value
    rows = {r[0].value: [c.value for c in r[1:]] for r in marker.iter_rows()}
    assert rows["ledger"][0] == "in-school-local" and rows["keys"][:4] == [None, "village", "group", "name"]


def test_export_by_village_and_errors(data: Path, tmp_path: Path):
    out = run_json(data, "ledger", "export", "not-in-school", "-o", str(tmp_path / "n.xlsx"), "--village", "高峰村")
    assert out["rows"] == 1
    grid = read_sheet(tmp_path / "n.xlsx")
    assert grid[1][0].startswith("填报单位：双山镇高峰村")
    assert grid[3][3] == "王五" and "双山籍" in grid[3]
    result = run(data, "ledger", "export", "nothing", "-o", str(tmp_path / "x.xlsx"), ok=False)
    assert result.exit_code == 1 and "没有名为“nothing”的台账" in result.output
    result = run(data, "ledger", "export", "deferred", "-o", str(tmp_path / "x.xlsx"), "--village", "月球村", ok=False)
    assert result.exit_code == 1 and "月球村" in result.output
    default = run_json(data, "ledger", "export", "deferred")
    assert Path(default["path"]).parent == data / "exports"
