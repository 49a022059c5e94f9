"""Every seed's forms from a small hand-built case whose rows and counts are stated here, and from the demo
township of each profile (``kbtui demo --no-tui --profile …``), exported as printable forms."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from kbtui.domain.ledger import LedgerContext
from kbtui.domain.report import ReportContext
from kbtui.domain.status import StatusRegistry
from kbtui.profiles import find_profile, load_profile
from kbtui.services.reporting.reports import build_report
from kbtui.services.workspace import Workspace
from kbtui_plugins.disability.options import NEW_SITUATIONS
from kbtui_plugins.escalation import ledgers as escalation_ledgers
from kbtui_plugins.ledgers import national, shanting, shuangcheng, statistics, yundou
from tests.conftest import run_cli
from tests.helpers.imports import cid, read_sheet
from tests.helpers.reports import sheet_values


def statuses() -> StatusRegistry:
    registry = StatusRegistry()
    for situation in (*NEW_SITUATIONS, shanting.VOCATIONAL):
        registry.add(situation)
    return registry


def child(name, village, born, sources, *, seq=11, region="610924", **fields) -> dict:
    record = {"id_number": cid(born, seq, region), "name": name, "village": village, "group": "1组",
              "birth_date": born, "sources": list(sources), "sex": "男" if seq % 2 else "女"}
    record.update(fields)
    return record


def names(ledger, records, ctx) -> list[str]:
    return [r["name"] for r in ledger.members(records, ctx)]


def by_label(rows) -> dict[str, dict]:
    return {row.label: row.values for row in rows}


def column(ledger, header, records, ctx) -> list:
    i = [c.header for c in ledger.columns].index(header)
    return [row[i + 1] for row in ledger.rows(records, ctx)]


# --------------------------------------------------------------------------- 熨斗 (seed 001)

YUNDOU = load_profile(find_profile("yundou-2022"))
SCHOOL = {"school": "熨斗镇中心小学", "grade": "四年级", "enrollment_status": "在读"}


def yundou_children() -> list[dict]:
    return [
        child("甲", "金星村", "2012-03-04", ["poverty", "school"], seq=11, **SCHOOL),             # 在籍在校
        child("乙", "金星村", "2010-05-06", ["poverty"], seq=13, status="外地就读"),
        child("丙", "金星村", "2009-01-02", ["poverty"], seq=15, status="辍学", status_reason="外出打工/务农",
              responsible_edu="万强"),
        child("丁", "双坪村", "2016-05-01", ["poverty"], seq=17),                                 # 缓学待核实
        child("戊", "双坪村", "2015-02-03", ["poverty"], seq=19, status="失学"),
        child("己", "双坪村", "2011-07-08", ["poverty", "school"], seq=21,
              **{**SCHOOL, "enrollment_status": "休学"}),                                      # 在籍未在校
        child("庚", "中河村", "2007-01-01", ["poverty"], seq=23, status="初中已毕业",
              evidence=[{"description": "毕业证书"}],
              status_history=[{"status": "初中已毕业", "date": "2022-10-12", "visitors": ["张诗鑫", "陈明勇"]}]),
        child("辛", "中河村", "2012-01-01", ["police"], seq=25),                       # not on the platform's list
        child("壬", "中河村", "2004-01-01", ["poverty"], seq=27, status="辍学"),       # 18: outside the ages
        child("癸", "", "2013-01-01", ["school"], seq=29, **SCHOOL),                   # a pupil, no village
        child("子", "高兴村", "2010-02-02", ["poverty"], seq=31, status="疑似辍学", status_reason="学习困难/厌学"),
    ]


def yundou_ctx() -> ReportContext:
    return ReportContext(YUNDOU, dt.date(2022, 10, 19), statuses=statuses())


def test_yundou_attachment_1_every_child_found_in_the_villages():
    ctx = yundou_ctx()
    records = yundou_children()
    assert names(yundou.SURVEY, records, ctx) == ["庚", "辛", "丁", "己", "戊", "丙", "乙", "甲", "子"]
    assert yundou.SURVEY.title_for(ctx) == "熨斗镇2022年义务教育阶段适龄儿童少年摸底调查和就读情况名单"
    assert column(yundou.SURVEY, "调查人", records, ctx)[0] == "张诗鑫、陈明勇"
    assert column(yundou.SURVEY, "就读情况", records, ctx)[1] == "待核实"


def test_yundou_attachment_2_the_platform_list_verified_one_by_one():
    ctx = yundou_ctx()
    records = yundou_children()
    assert names(yundou.RURAL, records, ctx) == ["庚", "丁", "己", "戊", "丙", "乙", "甲", "子"]
    assert column(yundou.RURAL, "是否在校", records, ctx) == ["否", "否", "否", "否", "否", "是", "是", "否"]
    assert column(yundou.RURAL, "不属于失学辍学佐证材料", records, ctx)[0] == "毕业证书"
    assert column(yundou.RURAL, "核实情况", records, ctx)[:3] == ["初中已毕业", "缓学待核实", "在籍未在校"]


def test_yundou_warning_list_out_of_school_first_then_at_risk():
    ctx = yundou_ctx()
    records = yundou_children()
    assert names(yundou.WARNING, records, ctx) == ["戊", "丙", "子", "己"]
    assert column(yundou.WARNING, "预警类别", records, ctx) == ["失学辍学", "失学辍学", "失学辍学", "辍学风险"]
    assert column(yundou.WARNING, "原因", records, ctx)[1:3] == ["外出打工/务农", "学习困难/厌学"]
    assert column(yundou.WARNING, "责任人", records, ctx)[1] == "万强"


YUNDOU_ROWS = {
    "金星村": {"cohort": 3, "studying": 2, "studying:在籍在校": 1, "studying:外地就读": 1, "dropout": 1,
            "enrolment_rate": 100.0, "retention_rate": 66.67},
    "双坪村": {"cohort": 3, "out_of_school": 1, "pending": 2, "enrolment_rate": 0.0, "retention_rate": ""},
    "中河村": {"cohort": 1, "not_dropout": 1, "not_dropout:初中已毕业": 1, "enrolment_rate": "", "retention_rate": ""},
    "高兴村": {"cohort": 1, "suspected": 1, "enrolment_rate": 100.0, "retention_rate": 0.0},
    "熨斗初级中学小计": {"cohort": 6, "studying": 2, "dropout": 1, "out_of_school": 1, "pending": 2},
    "熨斗镇中心小学小计": {"cohort": 2, "not_dropout": 1, "suspected": 1},
    "合计": {"cohort": 8, "studying": 2, "not_dropout": 1, "out_of_school": 1, "suspected": 1, "dropout": 1,
           "pending": 2, "enrolment_rate": 57.14, "retention_rate": 50.0},
}


def test_yundou_attachment_3_counts_per_village_with_school_subtotals():
    ctx = yundou_ctx()
    rows = yundou.STATS.rows_for(yundou_children(), ctx)
    labels = [r.label for r in rows]
    assert labels == ["金星村", "双坪村", "刘家湾村", "先联村", "沙湾村", "齐建村", "熨斗初级中学小计",
                      "中河村", "板长村", "高兴村", "麦坪村", "茨林村", "瓦子沟村", "长岭村", "熨斗社区",
                      "熨斗镇中心小学小计", "合计"]
    values = by_label(rows)
    for label, expected in YUNDOU_ROWS.items():
        for key, number in expected.items():
            assert values[label][key] == number, (label, key)
    zero = {k: v for k, v in values["刘家湾村"].items() if not k.endswith("rate")}
    assert set(zero.values()) == {0}
    headers = [h for h, _ in yundou.STATS.headers(ctx)]
    assert headers[:5] == ["序号", "村（社区）", "学龄人口", "小计", "在籍在校"] and "失踪失联" in headers
    assert yundou.STATS.title_for(ctx) == "熨斗镇2022年农村义务教育阶段学龄人口台账统计表"
    band = dict(yundou.STATS.header_groups(ctx))
    assert {"在校", "不属于失学辍学", "失学辍学"} <= set(band)


def test_statistics_counts_match_the_ledgers_they_summarise_hand_built():
    ctx = yundou_ctx()
    records = yundou_children()
    values = by_label(statistics.STATISTICS.rows_for(records, ctx))
    for village in ("金星村", "双坪村", "中河村", "高兴村"):
        here = [r for r in records if r["village"] == village]
        assert values[village]["cohort"] == len(yundou.RURAL.members(here, ctx))
        assert values[village]["suspected"] == len(escalation_ledgers.SUSPECTED_LEDGER.members(here, ctx))
        assert values[village]["dropout"] == len(escalation_ledgers.DROPOUT_LEDGER.members(here, ctx)) - \
            sum(1 for r in here if r["name"] == "壬")          # 壬 is 18: on the dropout ledger, not in the cohort
        warned = [r for r in yundou.WARNING.members(here, ctx) if yundou._warning_kind(r, ctx) == "失学辍学"]
        counts = values[village]
        assert counts["out_of_school"] + counts["suspected"] + counts["dropout"] == len(warned)
    assert values["合计"]["cohort"] == 8 and values["合计"]["enrolment_rate"] == 57.14


def test_yundou_cohort_from_the_police_list_when_the_profile_says_so():
    from kbtui.profiles import parse_profile

    data = dict(YUNDOU.data)
    data["cohorts"] = {"local": {"ages": [6, 15]}}           # source police (the default)
    police = parse_profile(data)
    ctx = ReportContext(police, dt.date(2022, 10, 19), statuses=statuses())
    assert names(yundou.RURAL, yundou_children(), ctx) == ["辛"]
    assert by_label(yundou.STATS.rows_for(yundou_children(), ctx))["合计"]["cohort"] == 1


# --------------------------------------------------------------------------- national practice

def test_national_trio_reuses_the_escalation_ledgers(tmp_path):
    from kbtui.services.workspace import Workspace

    ctx = yundou_ctx()
    records = yundou_children()
    assert names(national.SCHOOL_AGE, records, ctx) == ["庚", "丁", "己", "戊", "丙", "乙", "甲", "子"]
    ws = Workspace.create(tmp_path / "d", find_profile("shanting-2019"), "tester")
    owners = {lid: ws.all_ledgers._owners[lid] for lid in national.NATIONAL_LEDGERS}
    assert owners == {"school-age": "ledgers.national", "suspected-dropout": "escalation.ledgers",
                      "dropout": "escalation.ledgers"}
    assert set(national.NATIONAL_LEDGERS) <= set(ws.ledgers)


# --------------------------------------------------------------------------- 双城 (seed 003)

SHUANGCHENG = load_profile(find_profile("shuangcheng-2020"))


def shuangcheng_children() -> list[dict]:
    p = ["police"]
    return [
        child("a", "承旭街道", "2010-01-01", p, seq=11, status="区域内就读无学籍", school="双城区第一小学"),
        child("b", "双城镇", "2009-01-01", p, seq=13, status="省内外就读无学籍", school="广东某校"),
        child("c", "承旭街道", "2014-03-01", p, seq=15, status="延缓入学"),
        child("d", "五家镇", "2011-01-01", p, seq=17, status="出国"),
        child("e", "五家镇", "2008-01-01", p, seq=19, status="辍学", status_reason="外出打工/务农",
              measure="已劝返，监护人承诺下周送返"),
        child("f", "五家镇", "2012-01-01", p, seq=21, status="休学"),
        child("g", "韩甸镇", "2013-01-01", p, seq=23, status="户籍迁出"),
        child("h", "韩甸镇", "2007-01-01", p, seq=25, status="疑似辍学", status_reason="学习困难/厌学"),
        child("i", "单城镇", "2012-01-01", p, seq=27, status="失学", status_reason="因病"),
        child("j", "单城镇", "2012-02-01", ["police", "school"], seq=29, school="双城区第一小学", grade="三年级",
              enrollment_status="在读"),
        child("k", "单城镇", "2003-01-01", p, seq=31, status="辍学"),              # 17: outside the ages
    ]


def test_shuangcheng_register_counted_per_town_with_the_districts_total():
    ctx = ReportContext(SHUANGCHENG, dt.date(2020, 8, 28), statuses=statuses())
    records = [{**r, "town": r["village"]} for r in shuangcheng_children()]     # the fixture's places are towns
    values = by_label(shuangcheng.REGISTER_BY_TOWN.rows_for(records, ctx))
    assert values["承旭街道"]["category:区域内就读无学籍"] == 1 and values["双城镇"]["category:省内外就读无学籍"] == 1
    assert values["五家镇"]["category:辍学"] == 1 and values["韩甸镇"]["category:辍学"] == 1     # 疑似辍学 with 辍学
    assert values["单城镇"]["registered"] == 1 and values["青岭乡"]["registered"] == 0
    assert (values["合计"]["category:失学"], values["合计"]["category:辍学"], values["合计"]["registered"]) == (1, 2, 5)


def test_shuangcheng_register_by_category():
    ctx = LedgerContext(SHUANGCHENG, dt.date(2020, 8, 28))
    records = shuangcheng_children()
    assert names(shuangcheng.REGISTER, records, ctx) == ["i", "e", "h", "a", "b"]
    assert column(shuangcheng.REGISTER, "类别", records, ctx) == ["失学", "辍学", "辍学", "区域内就读无学籍",
                                                                 "省内外就读无学籍"]
    assert shuangcheng.REGISTER.title_for(ctx) == "双城区2020年义务教育阶段适龄儿童少年分类登记台账"


def test_shuangcheng_eight_targeted_categories_with_the_measure():
    ctx = LedgerContext(SHUANGCHENG, dt.date(2020, 8, 28))
    records = shuangcheng_children()
    assert names(shuangcheng.TARGETED_LEDGER, records, ctx) == ["a", "b", "c", "d", "e", "f", "i", "g", "h"]
    categories = column(shuangcheng.TARGETED_LEDGER, "类别", records, ctx)
    assert [c.split(".")[0] for c in categories] == ["1", "2", "3", "4", "5", "6", "6", "7", "8"]
    assert categories[7] == "7.户籍原因、失踪失联"
    required = column(shuangcheng.TARGETED_LEDGER, "方案规定措施", records, ctx)
    assert "公安部门" in required[7] and "学籍注册" in required[0] and "职业学校" in required[8]
    assert column(shuangcheng.TARGETED_LEDGER, "采取的措施", records, ctx)[4] == "已劝返，监护人承诺下周送返"


# --------------------------------------------------------------------------- 山亭 (seed 004)

SHANTING = load_profile(find_profile("shanting-2019"))
EXPERIMENT, SECOND = "山亭区实验小学", "山亭区第二中学"


def shanting_children() -> list[dict]:
    r = "370406"

    def kid(name, town, born, sources, seq, **fields):      # 山亭 is a district: the town, in its 示例 village
        village = SHANTING.district.town(town).villages[0]
        return child(name, village, born, sources, seq=seq, region=r, town=town, **fields)

    return [
        kid("p1", "山城街道", "2013-01-01", ["police", "school"], 11, school=EXPERIMENT, grade="一年级",
            enrollment_status="在读", key_groups=["留守儿童"]),
        kid("p2", "山城街道", "2013-03-01", ["poverty"], 12, family_type="脱贫户", status="延缓入学"),
        kid("p3", "城头镇", "2012-10-01", ["disability"], 13, disability_category="肢体", status="送教上门"),
        kid("p4", "城头镇", "2013-05-05", ["civil"], 14, key_groups=["孤儿"]),
        kid("p5", "城头镇", "2013-02-02", ["school"], 15, school=EXPERIMENT, grade="一年级", enrollment_status="在读"),
        kid("p6", "桑村镇", "2010-01-01", ["police"], 16, status="失学"),
        kid("p7", "桑村镇", "2005-06-01", ["police", "school"], 17, school=SECOND, grade="九年级",
            status="职业学校就读", status_note="山亭区职业中专", vocational_tracking="已流失，未到校"),
        kid("p8", "桑村镇", "2004-10-01", ["police"], 18, status="初中已毕业"),
        kid("p9", "北庄镇", "2010-03-03", ["police", "school"], 19, school=EXPERIMENT, grade="三年级",
            enrollment_status="在读"),
        kid("p10", "北庄镇", "2009-04-04", ["police", "school"], 20, school=EXPERIMENT, grade="四年级",
            status="辍学", status_reason="家庭经济困难"),
        kid("p11", "西集镇", "2007-01-01", ["police", "school"], 21, school=SECOND, grade="七年级", status="疑似辍学"),
        kid("p12", "西集镇", "2006-01-01", ["police", "school"], 22, school=SECOND, grade="八年级", status="劝返复学",
            status_history=[{"status": "辍学", "date": "2019-09-20"}, {"status": "劝返复学", "date": "2019-10-08"}]),
        kid("p13", "店子镇", "2008-08-08", ["police"], 23, status="疑似辍学", status_reason="外出打工/务农"),
    ]


def shanting_ctx(day) -> ReportContext:
    return ReportContext(SHANTING, day, statuses=statuses())


def test_shanting_base_database_from_the_four_departments():
    ctx = shanting_ctx(dt.date(2019, 9, 30))
    records = shanting_children()
    members = names(shanting.BASE, records, ctx)
    assert sorted(members) == sorted(f"p{i}" for i in range(1, 14) if i != 5)    # p5: only on a school list
    marks = dict(zip(members, zip(*(column(shanting.BASE, h, records, ctx) for h in ("公安", "扶贫", "残联", "民政")))))
    assert marks["p2"] == ("", "√", "", "") and marks["p3"] == ("", "", "√", "") and marks["p4"] == ("", "", "", "√")
    assert marks["p1"] == ("√", "", "", "")


def test_shanting_special_needs_database_with_its_refresh_date():
    ctx = shanting_ctx(dt.date(2019, 9, 10))
    records = shanting_children()
    assert sorted(names(shanting.SPECIAL, records, ctx)) == ["p1", "p2", "p3", "p4"]
    assert shanting.SPECIAL.title_for(ctx) == "山亭区2019年特殊学生信息库（2019年9月10日更新）"
    kinds = dict(zip(names(shanting.SPECIAL, records, ctx), column(shanting.SPECIAL, "特殊需要类别", records, ctx)))
    assert kinds == {"p1": "留守儿童", "p2": "建档立卡贫困", "p3": "残疾", "p4": "孤儿"}


def test_shanting_vocational_tracking_flags_hidden_dropout():
    ctx = shanting_ctx(dt.date(2019, 10, 20))
    records = shanting_children()
    assert names(shanting.VOCATIONAL_LEDGER, records, ctx) == ["p7", "p8"]
    assert column(shanting.VOCATIONAL_LEDGER, "职业学校", records, ctx) == ["山亭区职业中专", ""]
    assert column(shanting.VOCATIONAL_LEDGER, "是否隐性辍学", records, ctx) == ["是", ""]
    assert column(shanting.VOCATIONAL_LEDGER, "去向", records, ctx) == ["职业学校就读", "初中已毕业"]


def test_shanting_semester_dropout_report():
    ctx = shanting_ctx(dt.date(2019, 10, 20))
    rows = shanting.SEMESTER_DROPOUT.rows_for(shanting_children(), ctx)
    values = by_label(rows)
    # a district's schools, each town's (and the 区直学校) with a subtotal; a child of no listed school last
    labels = [r.label for r in rows]
    assert labels[:3] == [EXPERIMENT, SECOND, "山城街道小计"]
    assert labels[-3:] == ["其他学校、外地就读或无学籍", "其他小计", "合计"]
    assert [r.label for r in rows if r.kind == "subtotal"] == [*(f"{t}小计" for t in SHANTING.district.town_names),
                                                               "区直学校小计", "其他小计"]
    assert values["山城街道小计"]["dropout_total"] == 2 and values["城头镇小计"]["studying"] == 0
    assert values[EXPERIMENT] == {**values[EXPERIMENT], "studying": 2, "suspected": 0, "dropout": 1,
                                       "dropout_total": 1, "reason:家庭经济困难": 1, "returned": 0,
                                       "dropout_rate": 33.33}
    assert (values[SECOND]["studying"], values[SECOND]["suspected"], values[SECOND]["reason:其他"],
            values[SECOND]["returned"], values[SECOND]["dropout_rate"]) == (2, 1, 1, 1, 33.33)
    other = values["其他学校、外地就读或无学籍"]
    assert (other["studying"], other["suspected"], other["reason:外出打工/务农"], other["dropout_rate"]) == (0, 1, 1,
                                                                                                             100.0)
    total = values["合计"]
    assert (total["studying"], total["suspected"], total["dropout"], total["dropout_rate"]) == (4, 2, 1, 42.86)
    assert sum(v for k, v in total.items() if k.startswith("reason:")) == total["dropout_total"] == 3
    report = shanting.SEMESTER_DROPOUT
    assert report.title_for(ctx) == "山亭区义务教育阶段学生辍学情况报告（2019—2020学年秋季学期）"
    assert report.subtitle_for(ctx).startswith("报送区教体局截止日期：2019年10月31日")
    spring = shanting_ctx(dt.date(2020, 3, 20))
    assert report.title_for(spring).endswith("（2019—2020学年春季学期）")
    assert "2020年3月31日" in report.subtitle_for(spring)
    assert by_label(report.rows_for(shanting_children(), spring))[SECOND]["returned"] == 0   # returned last term


def test_shanting_november_comparison_report():
    ctx = shanting_ctx(dt.date(2019, 11, 20))
    rows = shanting.COMPARISON.rows_for(shanting_children(), ctx)
    values = by_label(rows)
    shancheng = values["山城街道"]
    assert (shancheng["base"], shancheng["first_grade"], shancheng["deferred"], shancheng["enrolment_rate"]) == \
        (2, 1, 1, 100.0)
    chengtou = values["城头镇"]
    assert (chengtou["base"], chengtou["elsewhere"], chengtou["unexplained"], chengtou["new_not_in_base"],
            chengtou["enrolment_rate"]) == (2, 1, 1, 1, 50.0)
    total = values["合计"]
    assert (total["base"], total["first_grade"], total["elsewhere"], total["deferred"], total["unexplained"],
            total["new_not_in_base"], total["enrolment_rate"]) == (4, 1, 1, 1, 1, 1, 66.67)
    balance = ("first_grade", "elsewhere", "deferred", "exempt", "other_not_dropout", "not_enrolled", "unexplained")
    for row in rows:
        assert row.values["base"] == sum(row.values[k] for k in balance), row.label


# --------------------------------------------------------------------------- from the demo township

DEMO_FORMS = {
    "yundou-2022": (["yundou-survey", "yundou-rural", "yundou-warning"], ["yundou-stats", "statistics"]),
    "shuangcheng-2020": (["shuangcheng-register", "shuangcheng-targeted"],
                         ["shuangcheng-register-towns", "statistics"]),
    "shanting-2019": (["shanting-base", "shanting-special", "shanting-vocational", "school-age", "suspected-dropout",
                       "dropout"], ["shanting-semester-dropout", "shanting-comparison", "statistics"]),
    "shuangshan-2024": ([], ["statistics"]),
}


@pytest.fixture(scope="module", params=sorted(DEMO_FORMS))
def demo_profile(request, tmp_path_factory) -> tuple[str, Path]:
    data = tmp_path_factory.mktemp("seed") / "data"
    result = run_cli("demo", "--no-tui", "--children", "600", "--seed", "5", "--profile", request.param,
                     data_dir=data)
    assert result.exit_code == 0, result.output
    return request.param, data


def test_every_form_of_the_profile_is_exported_from_its_demo(demo_profile, tmp_path):
    import json

    profile, data = demo_profile
    ledgers, reports = DEMO_FORMS[profile]
    listed = {i["id"]: i for i in json.loads(run_cli("ledger", "list", "--json", data_dir=data).output)["ledgers"]}
    for lid in ledgers:
        out = json.loads(run_cli("ledger", "export", lid, "-o", str(tmp_path / f"{lid}.xlsx"), "--json",
                                 data_dir=data).output)
        assert out["rows"] == listed[lid]["rows"]
        sheet = read_sheet(tmp_path / f"{lid}.xlsx")
        assert sheet[0][0] == listed[lid]["title"] and sheet[1][0].startswith("填报单位：")
        assert sheet[2][0] == "序号" and sheet[-1][0].startswith("填表人")
    assert listed[ledgers[0]]["rows"] > 0 if ledgers else True
    listed_reports = {i["id"] for i in json.loads(run_cli("report", "list", "--json", data_dir=data).output)["reports"]}
    assert listed_reports == set(reports)
    for rid in reports:
        out = json.loads(run_cli("report", "export", rid, "-o", str(tmp_path / f"{rid}.xlsx"), "--json",
                                 data_dir=data).output)
        ws = openpyxl.load_workbook(tmp_path / f"{rid}.xlsx").active
        assert ws["A1"].value == out["title"] and ws["A1"].font.b
        assert ws.print_title_rows and ws.freeze_panes
        footer = [c.value for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("填表人")]
        assert footer
        shown = json.loads(run_cli("report", "show", rid, "--json", data_dir=data).output)
        assert shown["rows"][-1]["kind"] == "total" and shown["rows"][-1]["label"] == "合计"
        # the sheet's formulas (totals, subtotals, 小计 of kinds, rates) give the previewed numbers
        built = build_report(Workspace.open(data, "tester"), rid)
        blank = lambda rows: [[None if v == "" else v for v in row] for row in rows]   # noqa: E731
        assert blank(sheet_values(tmp_path / f"{rid}.xlsx", built)) == blank(built.table())


# --------------------------------------------------------------------------- filled in on paper, imported back

def test_seed_ledgers_round_trip_what_cadres_fill_in(tmp_path):
    from tests.helpers.ledgers import fill

    data = tmp_path / "data"
    assert run_cli("init", "--profile", "shanting-2019", data_dir=data).exit_code == 0
    ws = Workspace.open(data, "tester")
    ws.store.insert_many([{k: v for k, v in c.items()} for c in shanting_children()], "tester")
    exported = tmp_path / "voc.xlsx"
    assert run_cli("ledger", "export", "shanting-vocational", "-o", str(exported), data_dir=data).exit_code == 0
    filled = fill(exported, tmp_path / "voc-filled.xlsx",
                  {"p8": {"职业学校": "枣庄市理工学校", "跟踪情况": "已流失，未到校"}})
    result = run_cli("ledger", "import", str(filled), "--yes", data_dir=data)
    assert result.exit_code == 0, result.output
    ws.store.refresh()
    p8 = next(r for r in ws.store.all() if r["name"] == "p8")
    assert p8["vocational_school"] == "枣庄市理工学校" and p8["vocational_tracking"] == "已流失，未到校"
    ctx = LedgerContext(ws.profile, dt.date(2019, 10, 20))
    records = list(ws.store.all())
    assert column(shanting.VOCATIONAL_LEDGER, "是否隐性辍学", records, ctx) == ["是", "是"]

    exported = tmp_path / "targeted.xlsx"
    assert run_cli("init", "--profile", "shuangcheng-2020", data_dir=tmp_path / "sc").exit_code == 0
    sc = Workspace.open(tmp_path / "sc", "tester")
    sc.store.insert_many(shuangcheng_children(), "tester")
    assert run_cli("ledger", "export", "shuangcheng-targeted", "-o", str(exported),
                   data_dir=tmp_path / "sc").exit_code == 0
    filled = fill(exported, tmp_path / "targeted-filled.xlsx", {"a": {"采取的措施": "已在双城区第一小学注册学籍"}})
    assert run_cli("ledger", "import", str(filled), "--yes", data_dir=tmp_path / "sc").exit_code == 0
    sc.store.refresh()
    assert next(r for r in sc.store.all() if r["name"] == "a")["measure"] == "已在双城区第一小学注册学籍"
