"""``kbtui import``: each rule of issue 3 with small messy workbooks built here."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.imports import (
    MESSY_IDS,
    OPERATOR,
    cid,
    csv_file,
    init_data,
    messy_police,
    police_rows,
    read_sheet,
    run,
    run_json,
    workspace,
    xlsx,
)

A, B, C, D = MESSY_IDS    # a boy and a girl 9 and 6 on the cutoff day, a boy, a girl


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return init_data(tmp_path)


def test_messy_police_list(data: Path, tmp_path: Path):
    out = run_json(data, "import", "police", str(messy_police(tmp_path / "户籍.xlsx")))
    assert {k: out[k] for k in ("rows", "imported", "updated", "duplicates", "rejected")} == \
        {"rows": 7, "imported": 4, "updated": 0, "duplicates": 0, "rejected": 3}
    assert out["warned"] == 1
    assert Path(out["rejects_file"]).parent == data / "rejects"
    store = workspace(data).store
    a = store.get(A)
    assert (a["name"], a["sex"], a["birth_date"], a["village"], a["group"], a["guardian_phone"]) == \
        ("张三", "男", "2015-03-04", "高峰村", "3组", "13800138000")
    assert a["sources"] == ["police"]
    b = store.get(B)
    assert (b["birth_date"], b["village"], b["group"], b["guardian_phone"]) == ("2018-05-06", "尖山村", "5组",
                                                                                "13800138001")
    c = store.get(C)          # sex from the ID wins, the bad phone is left out, both reported
    assert c["sex"] == "男" and "guardian_phone" not in c and c["name"] == "钱七"
    assert store.get(D)["group"] == "十组"
    messages = {(i["row"], i["column"]): i["message"] for i in out["issues"]}
    assert "被 Excel 存成了数字" in messages[(6, "公民身份号码")]
    assert "校验位错误" in messages[(7, "公民身份号码")]
    assert messages[(8, "姓 名")] == "姓名为空"
    assert "不是有效手机号" in messages[(9, "联系电话")]
    assert "与身份证号（男）不一致" in messages[(9, "性别")]
    # footer rows are not children
    assert {r["reason"] for r in out["skipped"]} >= {"表尾行（合计）"}


def test_rejects_workbook_names_row_and_column_and_reimports(data: Path, tmp_path: Path):
    out = run_json(data, "import", "police", str(messy_police(tmp_path / "户籍.xlsx")))
    grid = read_sheet(Path(out["rejects_file"]))
    header_at = next(i for i, r in enumerate(grid) if "拒收原因" in r)
    header = grid[header_at]
    assert header[:10] == ["序号", "公民身份号码", "姓 名", "性别", "出生日期", "所属村", "组", "户籍地址", "监护人",
                           "联系电话"]
    assert header[10:] == ["拒收原因", "原行号"]
    body = [r for r in grid[header_at + 1:] if any(c != "" for c in r)]
    by_row = {int(r[11]): r for r in body}
    assert set(by_row) == {6, 7, 8, 9}
    assert by_row[6][10].startswith("未导入：") and "Excel" in by_row[6][10]
    assert by_row[9][10].startswith("已导入，但：") and "“联系电话”列" in by_row[9][10]

    # the operator corrects the rows in the rejects workbook and imports it again
    import openpyxl

    wb = openpyxl.load_workbook(out["rejects_file"])
    ws = wb.active
    fixed = {6: (cid("2015-03-04", 13), "王五"), 7: (cid("2015-03-04", 15), "赵六"), 8: (C, "钱七")}
    for r in range(header_at + 2, ws.max_row + 1):
        original = ws.cell(r, 12).value
        if original in fixed:
            ws.cell(r, 2).value, ws.cell(r, 3).value = fixed[original]
        elif original == 9:
            ws.cell(r, 4).value = "男"
            ws.cell(r, 10).value = "13800138009"
    wb.save(tmp_path / "改正.xlsx")
    again = run_json(data, "import", "police", str(tmp_path / "改正.xlsx"))
    assert (again["imported"], again["rejected"], again["rejects_file"]) == (2, 0, None)
    assert again["updated"] == 1          # 钱七's phone was empty: filled in
    assert workspace(data).store.get(C)["guardian_phone"] == "13800138009"
    assert len(workspace(data).store) == 6


def test_reimport_changes_nothing_and_is_journaled(data: Path, tmp_path: Path):
    f = messy_police(tmp_path / "户籍.xlsx")
    run_json(data, "import", "police", str(f))
    ws = workspace(data)
    before = {r["id_number"]: r["_v"] for r in ws.store.all()}
    again = run_json(data, "import", "police", str(f))
    assert (again["imported"], again["updated"], again["conflicts"]) == (0, 0, 0)
    assert again["unchanged"] == 4
    ws = workspace(data)
    assert {r["id_number"]: r["_v"] for r in ws.store.all()} == before
    summaries = [e for e in ws.store.journal.entries() if e["action"] == "import" and e["record"] is None]
    assert len(summaries) == 2
    first = summaries[0]
    assert first["operator"] == OPERATOR and first["ts"]
    assert first["detail"]["file"] == "户籍.xlsx" and first["detail"]["source"] == "police"
    assert first["detail"]["counts"]["imported"] == 4 and first["detail"]["counts"]["rejected"] == 3
    per_child = [e for e in ws.store.journal.entries() if e["action"] == "import" and e["record"] == A]
    assert per_child and per_child[0]["changes"]["name"] == [None, "张三"]


def test_dry_run_writes_nothing(data: Path, tmp_path: Path):
    out = run_json(data, "import", "police", str(messy_police(tmp_path / "户籍.xlsx")), "--dry-run")
    assert out["dry_run"] is True and out["imported"] == 4 and out["rejects_file"] is None
    ws = workspace(data)
    assert len(ws.store) == 0
    assert not list((data / "rejects").iterdir())
    text = run(data, "import", "police", str(tmp_path / "户籍.xlsx"), "--dry-run").output
    assert "试导入" in text and "新增 张三" in text


def test_duplicates_in_one_file_and_conflicts_kept(data: Path, tmp_path: Path):
    rows = police_rows([
        (A, "张三", "男", "2015-03-04", "高峰村", "3组", "", "张大山", "13800138000"),
        (A, "张三", "男", "2015-03-04", "高峰村", "3组", "", "张大山", "13800138000"),
        (A, "张三", "男", "2015-03-04", "高峰村", "3组", "", "张大山", "13900139000"),
        (B, "李四", "女", "2018-05-06", "尖山村", "5组", "", "", ""),
    ])
    out = run_json(data, "import", "police", str(xlsx(tmp_path / "p.xlsx", rows)))
    assert (out["rows"], out["imported"], out["duplicates"], out["conflicts"]) == (4, 2, 2, 1)
    a = workspace(data).store.get(A)
    assert a["guardian_phone"] == "13800138000"          # the first value stays
    assert a["conflicts"]["guardian_phone"] == [
        {"source": "police", "value": "13900139000", "file": "p.xlsx", "row": 6}]
    check = run_json(data, "check")
    conflict = [p for p in check["problems"] if p["check"] == "来源冲突"]
    assert conflict and conflict[0]["field"] == "联系电话" and "13900139000" in conflict[0]["message"]
    # importing again adds no second copy of the same conflict
    again = run_json(data, "import", "police", str(tmp_path / "p.xlsx"))
    assert (again["updated"], again["conflicts"]) == (0, 0)


def school_list(path: Path, rows: list[list], header: list[str] | None = None) -> Path:
    from tests.helpers.imports import SCHOOL_HEADER

    return xlsx(path, [["双山小学学生名单（全国学籍系统导出）"], header or SCHOOL_HEADER, *rows])


def test_school_list_fills_and_never_overwrites(data: Path, tmp_path: Path):
    run_json(data, "import", "police", str(xlsx(tmp_path / "p.xlsx", police_rows([
        (A, "张三", "男", "2015-03-04", "高峰村", "3组", "", "张大山", "13800138000")]))))
    nonlocal_id = cid("2014-02-03", 41, "510101")
    out = run_json(data, "import", "school", str(school_list(tmp_path / "s.xlsx", [
        ["铜梁区双山镇双山小学校", "张三", A, "男", "2015-03-04", "4", "2班", "G" + A, "在读", "", "13700137000"],
        ["双山小学", "外来娃", nonlocal_id, "男", "2014-02-03", "初一", "1", "G" + nonlocal_id, "正常",
         "四川省成都市", ""],
    ])))
    assert (out["imported"], out["updated"], out["conflicts"]) == (1, 1, 1)
    store = workspace(data).store
    a = store.get(A)
    assert a["sources"] == ["police", "school"]
    assert (a["school"], a["grade"], a["class_name"], a["student_no"], a["enrollment_status"]) == \
        ("双山小学", "四年级", "2班", "G" + A, "在读")
    assert a["guardian_phone"] == "13800138000"
    assert a["conflicts"]["guardian_phone"][0]["source"] == "school"
    other = store.get(nonlocal_id)
    assert other["sources"] == ["school"] and other["grade"] == "七年级" and other["enrollment_status"] == "在读"
    assert "village" not in other


def test_missing_columns_refused_in_chinese(data: Path, tmp_path: Path):
    f = xlsx(tmp_path / "bad.xlsx", [["名单"], ["序号", "名字", "生日"], [1, "张三", "2015-01-01"]])
    result = run(data, "import", "police", str(f), ok=False)
    assert result.exit_code == 1
    assert "缺少必需的列：身份证号" in result.output and "名字" in result.output and "公民身份号码" in result.output
    no_school = xlsx(tmp_path / "s.xlsx", [["姓名", "身份证号", "年级"], ["张三", A, "三年级"]])
    result = run(data, "import", "school", str(no_school), ok=False)
    assert "--school" in result.output
    out = run_json(data, "import", "school", str(no_school), "--school", "双山小学")
    assert out["imported"] == 1 and workspace(data).store.get(A)["school"] == "双山小学"


def test_profile_synonyms_extend_headers(tmp_path: Path):
    from kbtui.profiles import find_profile

    text = find_profile("shuangshan-2024").read_text(encoding="utf-8")
    profile = tmp_path / "my.toml"
    profile.write_text(text + '\n[import.synonyms]\nid_number = ["身份识别号"]\nname = ["孩子"]\n', encoding="utf-8")
    from tests.helpers.imports import init_data as _init

    data = _init(tmp_path, str(profile))
    f = xlsx(tmp_path / "p.xlsx", [["孩子", "身份识别号"], ["张三", A]])
    out = run_json(data, "import", "police", str(f))
    assert out["imported"] == 1 and out["columns"] == {"id_number": "身份识别号", "name": "孩子"}


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_lists(data: Path, tmp_path: Path, encoding: str):
    f = csv_file(tmp_path / "p.csv", [["身份证号", "姓名", "村", "出生日期"], [A, "张三", "高峰村", "2015年3月4日"],
                                        [B, "李四", "尖山村", "2018-05-06"]], encoding)
    out = run_json(data, "import", "police", str(f))
    assert out["imported"] == 2 and workspace(data).store.get(A)["name"] == "张三"


def test_poverty_civil_disability(data: Path, tmp_path: Path):
    run_json(data, "import", "police", str(xlsx(tmp_path / "p.xlsx", police_rows([
        (A, "张三", "男", "2015-03-04", "高峰村", "3组", "", "", ""),
        (B, "李四", "女", "2018-05-06", "尖山村", "5组", "", "", "")]))))
    poverty = xlsx(tmp_path / "v.xlsx", [["姓名", "证件号码", "户类型"], ["张三", A, "脱贫不稳定户"],
                                         ["李四", B, "一般户"], ["王五", C, "外星户"]])
    out = run_json(data, "import", "poverty", str(poverty))
    assert (out["updated"], out["imported"], out["rejected"]) == (2, 0, 1)
    assert "家庭类型“外星户”无法识别" in out["issues"][0]["message"]
    civil = xlsx(tmp_path / "c.xlsx", [["姓名", "身份证号", "是否孤儿", "事实无人抚养儿童", "低保"],
                                       ["张三", A, "是", "", "否"], ["李四", B, "", "√", "是"]])
    out = run_json(data, "import", "civil", str(civil))
    assert out["updated"] == 2
    disability = xlsx(tmp_path / "d.xlsx", [["姓名", "身份证号", "残疾类别", "残疾等级", "残疾证号"],
                                            ["张三", A, "智力残疾", "2", A + "42"]])
    assert run_json(data, "import", "disability", str(disability))["updated"] == 1
    store = workspace(data).store
    a, b = store.get(A), store.get(B)
    assert a["family_type"] == "监测户" and a["key_groups"] == ["孤儿", "残疾"]
    assert (a["disability_category"], a["disability_grade"], a["disability_certificate"]) == ("智力", "二级", A + "42")
    assert a["sources"] == ["police", "poverty", "civil", "disability"]
    assert b["key_groups"] == ["事实无人抚养"]
    # 低保户 from civil disagrees with 一般农户 from poverty: kept as a conflict, not overwritten
    assert b["family_type"] == "一般农户" and b["conflicts"]["family_type"][0]["value"] == "低保户"


def test_civil_needs_a_content_column(data: Path, tmp_path: Path):
    f = xlsx(tmp_path / "c.xlsx", [["姓名", "身份证号", "村"], ["张三", A, "高峰村"]])
    result = run(data, "import", "civil", str(f), ok=False)
    assert result.exit_code == 1 and "没有可导入的内容列" in result.output and "孤儿" in result.output


def test_resolving_a_conflict_keeps_it_away(data: Path, tmp_path: Path):
    from kbtui.services.intake.merge import resolve_conflict

    run_json(data, "import", "police", str(xlsx(tmp_path / "p.xlsx", police_rows([
        (A, "张三", "男", "2015-03-04", "高峰村", "3组", "", "", "13800138000")]))))
    school = school_list(tmp_path / "s.xlsx", [
        ["双山小学", "张三", A, "男", "2015-03-04", "4", "2", "", "在读", "", "13700137000"]])
    run_json(data, "import", "school", str(school))
    ws = workspace(data)
    resolve_conflict(ws, A, "guardian_phone", "13700137000")
    a = ws.store.get(A)
    assert a["guardian_phone"] == "13700137000" and not a["conflicts"]
    assert run_json(data, "import", "police", str(tmp_path / "p.xlsx"))["conflicts"] == 0
    assert run_json(data, "import", "school", str(school))["conflicts"] == 0
    assert not [p for p in run_json(data, "check")["problems"] if p["check"] == "来源冲突"]


def test_progress_callback_and_service_preview(data: Path, tmp_path: Path):
    from kbtui.services.intake.importer import prepare_import

    ws = workspace(data)
    calls = []
    prepared = prepare_import(ws, "police", messy_police(tmp_path / "p.xlsx"),
                              progress=lambda stage, done, total: calls.append((stage, done, total)))
    preview = prepared.preview()
    assert preview.dry_run and preview.imported == 4 and len(ws.store) == 0
    assert {c[0] for c in calls} >= {"读取", "检查"}
    assert calls[-1][0] == "检查" and calls[-1][1] == calls[-1][2] == 7
    done = prepared.commit()
    assert done.imported == 4 and len(workspace(data).store) == 4
    assert {s.kind for s in preview.samples} == {"new"}


def test_unknown_source_and_wrong_file(data: Path, tmp_path: Path):
    result = run(data, "import", "hospital", str(tmp_path / "x.xlsx"), ok=False)
    assert result.exit_code == 2
    (tmp_path / "fake.xlsx").write_text("<html><table></table></html>", encoding="utf-8")
    result = run(data, "import", "police", str(tmp_path / "fake.xlsx"), ok=False)
    assert result.exit_code == 1 and "网页" in result.output


def test_a_bad_optional_cell_in_a_list_without_birth_date_and_sex(data: Path, tmp_path: Path):
    """Only ID, name and a phone that is no phone: the row is imported without the phone (this raised
    KeyError('birth_date') — the two columns taken from the ID number had no errors of their own)."""
    path = tmp_path / "简表.csv"
    path.write_text(f"身份证号,姓名,联系电话\n{cid('2015-03-04', 11)},张三,12ab\n", encoding="utf-8")
    result = run(data, "import", "police", str(path))
    assert "新增儿童 1 人" in result.output and "联系电话" in result.output and "此项未导入" in result.output
