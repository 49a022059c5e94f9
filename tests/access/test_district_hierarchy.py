"""Issue 17, the hierarchy: district profiles (towns with villages), the child's town set on import, one record
and a reported conflict for a child registered in two towns, and scope at the district, town, village and school
levels (CLI and services)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kbtui.domain import roles as R
from kbtui.profiles import ProfileError, find_profile, load_profile, parse_profile
from kbtui.services.access import operator_admin
from kbtui.services.access.operators import AccessDenied, OperatorsError
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.imports import cid, xlsx

SHANTING = load_profile(find_profile("shanting-2019"))
SHUANGCHENG = load_profile(find_profile("shuangcheng-2020"))


# --------------------------------------------------------------------------- profiles

def test_shanting_and_shuangcheng_are_district_profiles():
    district = SHANTING.district
    assert SHANTING.level == "district" and SHANTING.township == "山亭区" and SHANTING.unit_label == "全区"
    # the plan names 各镇人民政府、山城街道办事处 and 各学区
    assert district.town_names[0] == "山城街道" and district.town("山城街道").kind == "街道"
    assert len(district.towns) == 9 and all(t.kind == "镇" for t in district.towns[1:])
    assert district.towns_of_village("新村") == ["城头镇", "桑村镇"]       # the same name in two towns
    assert district.school_district("城头学区").towns == ("城头镇",)
    assert "山亭区特殊教育学校" in SHANTING.schools and district.town_of_school("城头镇中学") == "城头镇"
    # 双城: 街道办事处、乡（镇）
    kinds = {t.kind for t in SHUANGCHENG.district.towns}
    assert SHUANGCHENG.level == "district" and kinds == {"街道", "镇", "乡"}


@pytest.mark.parametrize("name", ["shuangshan-2024", "yundou-2022", "lujiao-2024"])
def test_township_profiles_stay_townships(name):
    profile = load_profile(find_profile(name))
    assert profile.level == "township" and profile.district is None and profile.unit_label == "全镇"


def _district(**locality):
    base = {"district": "某区", "towns": [{"name": "甲镇", "villages": ["东村"], "schools": ["甲小学"]},
                                         {"name": "乙街道", "villages": ["东村"], "schools": ["乙小学"]}]}
    return {"locality": {**base, **locality}, "campaign": {"year": 2020}, "cohorts": {"local": {"ages": [6, 15]}}}


def test_a_district_profile_takes_kinds_from_the_names():
    profile = parse_profile(_district())
    assert [t.kind for t in profile.district.towns] == ["镇", "街道"] and profile.villages == ["东村"]


@pytest.mark.parametrize("change, message", [
    ({"towns": []}, "应列出区县的各乡镇"),
    ({"towns": [{"name": "甲镇"}, {"name": "甲镇"}]}, "“甲镇”写了两次"),
    ({"towns": [{"name": "甲镇", "villages": ["东村", "东村"]}]}, "村（社区）“东村”写了两次"),
    ({"towns": [{"name": "甲地"}]}, "kind“”应为 镇、乡、街道 之一"),
    ({"towns": [{"name": "甲镇", "schools": ["一小"]}, {"name": "乙镇", "schools": ["一小"]}]}, "同时列在甲镇和乙镇"),
    ({"district_schools": ["甲小学"]}, "既是区直学校"),
    ({"school_districts": {"丙学区": {"towns": ["丙镇"]}}}, "学区“丙学区”中的乡镇“丙镇”"),
    ({"school_districts": {"甲学区": {"towns": ["甲镇"], "schools": ["丙小学"]}}}, "学区“甲学区”中的学校“丙小学”"),
])
def test_bad_district_profiles_say_what_is_wrong(change, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile(_district(**change))


# --------------------------------------------------------------------------- the town on import

HEAD = ["姓名", "身份证号", "户籍地址", "村（社区）"]


def _district_folder(tmp_path) -> Path:
    data = tmp_path / "data"
    assert run_cli("init", "--profile", "shanting-2019", data_dir=data).exit_code == 0
    return data


def _import(data, path, operator="tester", *extra):
    return run_cli("import", "police", str(path), *extra, data_dir=data, operator=operator)


def test_the_creator_of_a_district_folder_is_its_district_admin(tmp_path):
    data = _district_folder(tmp_path)
    out = run_cli("operators", "list", data_dir=data).output
    assert "区县管理员" in out and "范围：全区" in out


def test_import_sets_each_childs_town_or_refuses_the_row(tmp_path):
    data = _district_folder(tmp_path)
    rows = [
        ["张一", cid("2012-03-01", 11), "山东省枣庄市山亭区城头镇新村3组", "新村"],   # 新村 in two towns: the address
        ["张二", cid("2012-03-01", 13), "", "杨庄村"],                                # a village of one town only
        ["张三", cid("2012-03-01", 15), "", "新村"],                                  # which 新村? refused
        ["张四", cid("2012-03-01", 17), "山亭区北庄镇", ""],                          # the address names the town
    ]
    path = xlsx(tmp_path / "户籍.xlsx", [HEAD, *rows])
    result = _import(data, path)
    assert result.exit_code == 0, result.output
    assert "村（社区）“新村”在城头镇、桑村镇都有" in result.output
    ws = Workspace.open(data, "tester")
    towns = {r["name"]: r.get("town") for r in ws.store.all()}
    assert towns == {"张一": "城头镇", "张二": "桑村镇", "张四": "北庄镇"}


def test_a_town_column_wins_and_an_unknown_town_is_refused(tmp_path):
    data = _district_folder(tmp_path)
    path = xlsx(tmp_path / "户籍.xlsx", [["姓名", "身份证号", "乡镇", "村（社区）"],
                                         ["李一", cid("2011-05-05", 21), "桑村", "新村"],
                                         ["李二", cid("2011-05-05", 23), "东海镇", "新村"]])
    result = _import(data, path)
    assert "乡镇（街道）“东海镇”不是山亭区的乡镇（街道）" in result.output
    ws = Workspace.open(data, "tester")
    assert [(r["name"], r["town"], r["village"]) for r in ws.store.all()] == [("李一", "桑村镇", "新村")]


def test_a_township_ignores_a_town_column(tmp_path):
    data = tmp_path / "data"
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=data).exit_code == 0
    path = xlsx(tmp_path / "户籍.xlsx", [["姓名", "身份证号", "乡镇", "村（社区）"],
                                         ["王一", cid("2011-05-05", 31), "双山镇", "太平村"]])
    assert _import(data, path).exit_code == 0
    record = next(Workspace.open(data, "tester").store.all())
    assert "town" not in record and record["village"] == "太平村"


def test_a_child_registered_in_two_towns_is_one_record_and_a_reported_conflict(tmp_path):
    data = _district_folder(tmp_path)
    number = cid("2010-07-07", 41)
    first = xlsx(tmp_path / "城头.xlsx", [HEAD, ["赵一", number, "山亭区城头镇城头村", "城头村"]])
    second = xlsx(tmp_path / "桑村.xlsx", [HEAD, ["赵一", number, "山亭区桑村镇桑村", "桑村"]])
    assert _import(data, first).exit_code == 0
    result = _import(data, second)
    assert "重复户籍：1 名儿童已在本区其他乡镇（街道）登记，仍为一条记录" in result.output
    ws = Workspace.open(data, "tester")
    records = list(ws.store.all())
    assert len(records) == 1 and records[0]["town"] == "城头镇"
    assert [e["value"] for e in records[0]["conflicts"]["town"]] == ["桑村镇"]
    check = run_cli("check", data_dir=data).output
    assert "乡镇（街道）" in check and "桑村镇" in check


def test_a_town_admin_importing_another_towns_child_reports_it_without_seeing_it(tmp_path):
    data = _district_folder(tmp_path)
    number = cid("2010-07-07", 43)
    rows = [HEAD, ["钱一", number, "山亭区城头镇城头村", "城头村"]]
    assert _import(data, xlsx(tmp_path / "a.xlsx", rows)).exit_code == 0
    assert run_cli("operators", "add", "sang", "--role", "镇管理员", "--town", "桑村镇", data_dir=data).exit_code == 0
    result = _import(data, xlsx(tmp_path / "b.xlsx", [HEAD, ["钱一", number, "山亭区桑村镇桑村", "桑村"]]), "sang")
    assert result.exit_code == 0, result.output
    assert "已在本区其他乡镇（街道）登记户籍（重复户籍），已报区县核查" in result.output
    assert "城头" not in result.output          # nothing of the record the town admin may not see
    record = next(Workspace.open(data, "tester").store.all())
    assert record["town"] == "城头镇" and record["village"] == "城头村"
    assert [e["value"] for e in record["conflicts"]["town"]] == ["桑村镇"]
    assert "桑村镇" in run_cli("check", data_dir=data).output


# --------------------------------------------------------------------------- scope at every level

def _three_towns(tmp_path) -> Path:
    data = _district_folder(tmp_path)
    rows = [["孙一", cid("2012-01-01", 51), "山亭区城头镇新村", "新村"],
            ["孙二", cid("2012-01-01", 53), "山亭区城头镇城头村", "城头村"],
            ["孙三", cid("2012-01-01", 55), "山亭区桑村镇新村", "新村"],
            ["孙四", cid("2012-01-01", 57), "山亭区北庄镇北庄村", "北庄村"]]
    assert _import(data, xlsx(tmp_path / "户籍.xlsx", [HEAD, *rows])).exit_code == 0
    for args in (["ju", "--role", "区县教育局"], ["cheng", "--role", "镇管理员", "--town", "城头镇"],
                 ["cun", "--role", "村干部", "--town", "城头镇", "--village", "新村"],
                 ["xiao", "--role", "学校", "--town", "桑村镇", "--school", "桑村镇中学"]):
        result = run_cli("operators", "add", *args, data_dir=data)
        assert result.exit_code == 0, result.output
    return data


def _seen(data, operator) -> list[str]:
    return sorted(r["name"] for r in Workspace.open(data, operator).store.all())


def test_each_level_sees_its_own_children(tmp_path):
    data = _three_towns(tmp_path)
    assert _seen(data, "tester") == _seen(data, "ju") == ["孙一", "孙三", "孙二", "孙四"]
    assert _seen(data, "cheng") == ["孙一", "孙二"]                 # the town
    assert _seen(data, "cun") == ["孙一"]                           # its 新村, not 桑村镇's
    ws = Workspace.open(data, "tester")
    sun3 = next(r for r in ws.store.all() if r["name"] == "孙三")
    ws.store.update(sun3["id_number"], {"school": "桑村镇中学"}, "tester")
    assert _seen(data, "xiao") == ["孙三"]                          # the school, inside its town
    stats = json.loads(run_cli("stats", "--json", data_dir=data, operator="cheng").output)
    assert stats["children"] == 2


def test_writes_outside_the_town_are_refused(tmp_path):
    data = _three_towns(tmp_path)
    ws = Workspace.open(data, "cheng")
    raw = ws.raw_store
    sun4 = next(r for r in raw.all() if r["name"] == "孙四")
    sun1 = next(r for r in raw.all() if r["name"] == "孙一")
    with pytest.raises(AccessDenied, match="不在您的管辖范围（城头镇）内"):
        ws.store.update(sun4["id_number"], {"note": "x"}, "cheng")
    with pytest.raises(AccessDenied, match="乡镇（街道）为“北庄镇”"):
        ws.store.update(sun1["id_number"], {"town": "北庄镇"}, "cheng")        # moving a child out of the town
    village = Workspace.open(data, "cun")
    with pytest.raises(AccessDenied):
        village.store.update(sun1["id_number"], {"village": "城头村"}, "cun")


def test_town_admins_manage_only_their_towns_operators(tmp_path):
    data = _three_towns(tmp_path)
    refused = run_cli("operators", "add", "x1", "--role", "村干部", "--town", "桑村镇", "--village", "桑村",
                      data_dir=data, operator="cheng")
    assert refused.exit_code == 1 and "您只管城头镇，不能添加" in refused.output
    refused = run_cli("operators", "add", "x2", "--role", "区县教育局", data_dir=data, operator="cheng")
    assert refused.exit_code == 1 and "不能添加" in refused.output
    ok = run_cli("operators", "add", "x3", "--role", "村干部", "--town", "城头镇", "--village", "城头村",
                 data_dir=data, operator="cheng")
    assert ok.exit_code == 0 and "范围：城头镇 城头村" in ok.output
    assert run_cli("operators", "remove", "xiao", data_dir=data, operator="cheng").exit_code == 1


def test_a_town_admin_cannot_act_as_the_district(tmp_path, monkeypatch):
    from kbtui.services.access import operators

    data = _three_towns(tmp_path)
    monkeypatch.setattr(operators, "os_login", lambda: "cheng")
    monkeypatch.setattr(operators, "is_root", lambda: False)
    with pytest.raises(AccessDenied, match="超出您所管的乡镇"):
        operators.resolve_operator(data, "ju")
    assert operators.resolve_operator(data, "cun").login == "cun"


def test_town_roles_without_a_town_are_refused_in_a_district(tmp_path):
    data = _district_folder(tmp_path)
    result = run_cli("operators", "add", "zhen", "--role", "镇管理员", data_dir=data)
    assert result.exit_code == 1 and "区县数据中须指定所管乡镇" in result.output
    result = run_cli("operators", "add", "ju", "--role", "区县管理员", "--town", "城头镇", data_dir=data)
    assert result.exit_code == 1 and "管全区，不能指定所管乡镇" in result.output
    ws = Workspace.open(data, "tester")
    with pytest.raises(OperatorsError, match="不在本区的乡镇"):
        operator_admin.add_operator(ws, "z", None, R.TOWN_ADMIN, towns=["东海镇"])


def test_district_campaigns_and_spotchecks_are_the_districts(tmp_path):
    data = _three_towns(tmp_path)
    result = run_cli("campaign", "new", "2020", "--title", "2020年", "--year", "2020", data_dir=data, operator="cheng")
    assert result.exit_code == 1 and "排查工作由区县统一部署" in result.output


# --------------------------------------------------------------------------- district views

def test_stats_per_town_with_the_districts_total(tmp_path):
    data = _three_towns(tmp_path)
    out = run_cli("stats", data_dir=data).output
    assert "按乡镇（街道）：" in out and "城头镇：儿童 2 人" in out and "桑村镇：儿童 1 人" in out
    assert "全区合计：儿童 4 人" in out
    shown = json.loads(run_cli("stats", "--json", data_dir=data).output)["by_town"]
    assert list(shown) == ["城头镇", "桑村镇", "北庄镇"] and shown["城头镇"]["by_village"] == {"城头村": 1, "新村": 1}
    village = run_cli("stats", data_dir=data, operator="cun").output
    assert "城头镇：儿童 1 人" in village and "桑村镇" not in village


def test_ledgers_carry_the_town_and_reports_subtotal_it(tmp_path):
    import openpyxl

    data = _three_towns(tmp_path)
    out = tmp_path / "base.xlsx"
    assert run_cli("ledger", "export", "shanting-base", "-o", str(out), data_dir=data).exit_code == 0
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(out).active.iter_rows()]
    header = rows[2]
    at = header.index("乡镇（街道）")
    assert header[at + 1] == "村（社区）"
    assert [r[at] for r in rows[3:7]] == ["北庄镇", "城头镇", "城头镇", "桑村镇"]
    shown = json.loads(run_cli("report", "show", "statistics", "--json", data_dir=data).output)["rows"]
    labels = [r["label"] for r in shown]
    assert "城头镇新村" in labels and "桑村镇新村" in labels and "城头镇小计" in labels


def test_the_bureau_sees_town_progress_on_the_dashboard_and_a_town_admin_does_not(tmp_path):
    import asyncio

    from kbtui.tui.app import KbtuiApp
    from tests.helpers.tui import screen_text, settle

    data = _three_towns(tmp_path)

    async def dashboard(operator):
        app = KbtuiApp(Workspace.open(data, operator), start="dashboard")
        async with app.run_test(size=(100, 50)) as pilot:
            await settle(app, pilot)
            return screen_text(app)

    bureau = asyncio.run(dashboard("ju"))
    assert "各乡镇（街道）核实进度" in bureau
    lines = [line for line in bureau.splitlines() if "城头镇" in line and "/2" in line]
    assert lines and any("全区合计" in line and "/4" in line for line in bureau.splitlines())
    town = asyncio.run(dashboard("cheng"))
    assert "各乡镇（街道）核实进度" not in town
