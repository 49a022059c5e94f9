"""From three Excel lists (the police station's, 双山小学's and another school's) to the four 双山 ledgers.

双山 2024: 双山籍 6–15 on 2024-08-31 (born 2008-09-01..2018-08-31), and pupils of 双山小学 from elsewhere
aged 6–12 (born 2011-09-01..2018-08-31).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.helpers.imports import body, cid, init_data, read_sheet, run_json, xlsx

# local children (police list)
L_IN = cid("2015-03-04", 11)          # 张一: 双山小学 在读 → in-school-local
L_MID = cid("2011-05-06", 13)         # 张二: 县第一中学 在读 (other school's list) → in-school-local
L_SUSP = cid("2013-01-02", 22)        # 张三: 双山小学 休学 → not-in-school
L_NONE = cid("2010-10-10", 15)        # 张四: on no school list → 待核实 (no ledger yet)
L_SIX = cid("2018-03-03", 24)         # 张五: 6 years old, on no school list → deferred
L_SIX_IN = cid("2018-06-06", 17)      # 张六: 6 years old, 双山小学 一年级 在读 → in-school-local
L_OLD = cid("2008-08-31", 19)         # 张七: 16 on the cutoff day → outside the campaign
# pupils from elsewhere (school lists only)
N_IN = cid("2016-02-02", 31, "510104")      # 李一: 双山小学 在读 → in-school-nonlocal
N_OUT = cid("2017-07-07", 42, "510104")     # 李二: 双山小学 请假 → not-in-school
N_OLD = cid("2011-08-01", 33, "510104")     # 李三: 13 on the cutoff day → outside (non-local ages 6–12)
N_OTHER = cid("2012-12-12", 35, "510104")   # 李四: 县第一中学 (not a non-local cohort school) → outside


def police(path: Path) -> Path:
    return xlsx(path, [
        ["双山派出所 2024年适龄儿童户籍信息"],
        ["制表单位：重庆市公安局铜梁区分局双山派出所", None, None, None, "制表时间：2024年9月5日"],
        ["序号", "姓名", "性别", "出生日期", "公民身份号码", "户籍地址", "监护人", "联系电话"],
        [1, "张一", "男", "2015.03.04", L_IN, "重庆市铜梁区双山镇高峰村3组", "张父", "13800000001"],
        [2, "张二", "男", "2011/5/6", L_MID, "重庆市铜梁区双山镇尖山村2组", "张母", "13800000002"],
        [3, "张三", "女", "2013年1月2日", L_SUSP, "重庆市铜梁区双山镇高峰村10组", "", ""],
        [4, "张四", "男", dt.datetime(2010, 10, 10), " " + L_NONE, "重庆市铜梁区双山镇长堰村一组", "", ""],
        [5, "张五", "女", "20180303", L_SIX.lower(), "重庆市铜梁区双山镇高峰村2组", "张奶奶", "13800000005"],
        [6, "张六", "男", 43257, L_SIX_IN, "重庆市铜梁区双山镇尖山村1组", "", ""],
        [7, "张七", "男", "2008-08-31", L_OLD, "重庆市铜梁区双山镇高峰村3组", "", ""],
        [None],
        ["合计", "7人"],
    ])


def shuangshan_school(path: Path) -> Path:
    return xlsx(path, [
        ["双山小学2024年秋季学生学籍信息（全国中小学生学籍信息管理系统导出）"],
        ["学校名称", "姓名", "性别", "出生日期", "身份证件号", "年级", "班级", "全国学籍号", "学籍状态", "户口所在地"],
        ["重庆市铜梁区双山小学校", "张一", "男", "2015-03-04", L_IN, "4", "2班", "G" + L_IN, "在读", ""],
        ["重庆市铜梁区双山小学校", "张三", "女", "2013-01-02", L_SUSP, "六年级", "1班", "G" + L_SUSP, "休学", ""],
        ["重庆市铜梁区双山小学校", "张六", "男", "2018-06-06", L_SIX_IN, "一年级", "3班", "G" + L_SIX_IN, "在读", ""],
        ["重庆市铜梁区双山小学校", "李一", "女", "2016-02-02", N_IN, "三年级", "1班", "G" + N_IN, "在读",
         "四川省成都市锦江区"],
        ["重庆市铜梁区双山小学校", "李二", "男", "2017-07-07", N_OUT, "一年级", "2班", "G" + N_OUT, "请假",
         "四川省成都市锦江区"],
        ["重庆市铜梁区双山小学校", "李三", "男", "2011-08-01", N_OLD, "六年级", "2班", "G" + N_OLD, "在读",
         "四川省成都市锦江区"],
    ])


def county_school(path: Path) -> Path:
    return xlsx(path, [
        ["县第一中学学生名单"],
        ["序号", "学生姓名", "学生身份证号", "就读年级", "班级", "学籍号", "在校状态"],
        [1, "张二", L_MID, "初一", "5", "G" + L_MID, "正常"],
        [2, "李四", N_OTHER, "初一", "6", "G" + N_OTHER, "在读"],
    ])


def test_three_lists_to_four_ledgers(tmp_path: Path, store_backend):
    """On both backends (the data folder's own store; a district database)."""
    data = init_data(tmp_path, database=store_backend.spec if store_backend.name == "postgresql" else None)
    p = run_json(data, "import", "police", str(police(tmp_path / "派出所.xlsx")))
    assert (p["rows"], p["imported"], p["rejected"]) == (7, 7, 0)
    s1 = run_json(data, "import", "school", str(shuangshan_school(tmp_path / "双山小学.xlsx")))
    assert (s1["rows"], s1["imported"], s1["updated"], s1["rejected"]) == (6, 3, 3, 0)
    s2 = run_json(data, "import", "school", str(county_school(tmp_path / "县一中.xlsx")), "--school", "县第一中学")
    assert (s2["rows"], s2["imported"], s2["updated"]) == (2, 1, 1)

    stats = run_json(data, "stats")
    assert stats["children"] == 11
    ours = ("in-school-local", "in-school-nonlocal", "not-in-school", "deferred")
    assert {k: v for k, v in stats["ledgers"].items() if k in ours} == \
        {"in-school-local": 3, "in-school-nonlocal": 1, "not-in-school": 2, "deferred": 1}
    assert stats["pending"] == 2                       # 张四 待核实, 张五 缓学待核实

    out = {}
    for ledger in ("in-school-local", "in-school-nonlocal", "not-in-school", "deferred"):
        result = run_json(data, "ledger", "export", ledger, "-o", str(tmp_path / f"{ledger}.xlsx"))
        out[ledger] = body(Path(result["path"]))
        assert read_sheet(Path(result["path"]))[0][0].startswith("双山镇2024年秋期义务教育阶段")

    header, *rows = out["in-school-local"]
    col = {h: i for i, h in enumerate(header)}
    picked = [(r[col["序号"]], r[col["村（社区）"]], r[col["组"]], r[col["姓名"]], r[col["就读学校"]], r[col["年级"]],
               r[col["班级"]], r[col["排查走访情况"]]) for r in rows]
    assert picked == [
        (1, "尖山村", "1组", "张六", "双山小学", "一年级", "3班", "在籍在校"),
        (2, "尖山村", "2组", "张二", "县第一中学", "七年级", "5", "在籍在校"),
        (3, "高峰村", "3组", "张一", "双山小学", "四年级", "2班", "在籍在校"),
    ]
    assert [r[col["身份证号"]] for r in rows] == [L_SIX_IN, L_MID, L_IN]
    assert rows[2][col["联系电话"]] == "13800000001" and rows[2][col["学籍号"]] == "G" + L_IN

    header, *rows = out["in-school-nonlocal"]
    col = {h: i for i, h in enumerate(header)}
    assert [(r[col["姓名"]], r[col["身份证号"]], r[col["户籍地址"]], r[col["年级"]]) for r in rows] == [
        ("李一", N_IN, "四川省成都市锦江区", "三年级")]

    header, *rows = out["not-in-school"]
    col = {h: i for i, h in enumerate(header)}
    assert [(r[col["村（社区）"]], r[col["姓名"]], r[col["户籍类别"]], r[col["学籍状态"]], r[col["排查走访情况"]])
            for r in rows] == [("", "李二", "非双山籍", "请假", "在籍未在校"),
                               ("高峰村", "张三", "双山籍", "休学", "在籍未在校")]

    header, *rows = out["deferred"]
    col = {h: i for i, h in enumerate(header)}
    assert [(r[col["村（社区）"]], r[col["组"]], r[col["姓名"]], r[col["年龄"]], r[col["是否办理缓学手续"]],
             r[col["排查走访情况"]]) for r in rows] == [("高峰村", "2组", "张五", 6, "", "缓学待核实")]
    # nobody twice, nobody outside the campaign on any ledger
    everyone = [r[col["身份证号"]] for name in out for r in out[name][1:]
                for col in [{h: i for i, h in enumerate(out[name][0])}]]
    assert len(everyone) == len(set(everyone)) == 7
    assert not {L_NONE, L_OLD, N_OLD, N_OTHER} & set(everyone)
