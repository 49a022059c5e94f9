"""``kbtui report``: list, show, export; the statistics table cross-checked against the ledgers it summarises;
the exported formulas recomputed from the sheet's own cells give the previewed numbers."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from kbtui.domain.report import ReportContext, ReportError
from kbtui.services.reporting import reports as rs
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.reports import sheet_values


def ws_of(data: Path) -> Workspace:
    return Workspace.open(data, "tester")


# --------------------------------------------------------------------------- CLI

def test_report_list_show_export(demo_dir: Path, tmp_path: Path):
    listed = json.loads(run_cli("report", "list", "--json", data_dir=demo_dir).output)["reports"]
    assert [r["id"] for r in listed] == ["statistics"]
    assert listed[0]["title"] == "双山镇2024年义务教育控辍保学统计表"
    assert "statistics" in run_cli("report", "list", data_dir=demo_dir).output

    shown = run_cli("report", "show", "statistics", data_dir=demo_dir).output
    lines = shown.splitlines()
    assert lines[0] == "双山镇2024年义务教育控辍保学统计表"
    assert "不属于失学辍学小计" in lines[1] and "入学率（%）" in lines[1]
    assert any(line.lstrip().startswith("合计") for line in lines)
    assert any("巩固率＝在校人数÷" in line for line in lines)

    out = tmp_path / "统计表.xlsx"
    result = json.loads(run_cli("report", "export", "statistics", "-o", str(out), "--json", data_dir=demo_dir).output)
    assert result["path"] == str(out) and out.exists() and oct(out.stat().st_mode & 0o777) == "0o600"
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "双山镇2024年义务教育控辍保学统计表"
    assert ws["A2"].value.startswith("填报单位：双山镇")
    assert [c.value for c in ws[3]][:4] == ["序号", "村（社区）", "学龄人口", "在校"]
    assert ws.print_title_rows == "$3:$4" and ws.freeze_panes == "A5"
    hidden = openpyxl.load_workbook(out)["_kbtui"]
    assert hidden.sheet_state == "hidden" and hidden["B2"].value == "statistics"
    total_row = 5 + result["rows"] - 1
    assert ws[f"C{total_row}"].value == f"=SUM(C5:C{total_row - 1})" and ws[f"C{total_row}"].data_type == "f"


def test_report_village_filter_and_errors(demo_dir: Path):
    shown = json.loads(run_cli("report", "show", "statistics", "--village", "高峰村", "--json",
                               data_dir=demo_dir).output)
    assert [r["label"] for r in shown["rows"]] == ["高峰村", "合计"]
    assert shown["rows"][0]["values"] == shown["rows"][1]["values"]
    bad = run_cli("report", "show", "no-such", data_dir=demo_dir)
    assert bad.exit_code == 1 and "没有名为“no-such”的报表" in bad.output and "statistics" in bad.output
    bad = run_cli("report", "show", "statistics", "--village", "无此村", data_dir=demo_dir)
    assert bad.exit_code == 1 and "没有村（社区）为“无此村”的儿童" in bad.output
    bad = run_cli("report", "export", "statistics", "-o", "x.csv", data_dir=demo_dir)
    assert bad.exit_code == 1 and ".xlsx" in bad.output


def test_exported_formulas_recompute_the_previewed_numbers(demo_dir: Path, tmp_path: Path):
    ws = ws_of(demo_dir)
    built = rs.build_report(ws, "statistics")
    path = tmp_path / "s.xlsx"
    rs.export_report(ws, "statistics", path)
    blank = lambda rows: [[None if v == "" else v for v in row] for row in rows]   # noqa: E731
    assert blank(sheet_values(path, built)) == blank(built.table())


# --------------------------------------------------------------------------- statistics vs the ledgers

def test_statistics_table_matches_the_ledgers_it_summarises(demo_dir: Path):
    """Every count of the statistics table, village by village, equals the members of the ledgers that list
    those children (ledgers of several plugins, whether the profile enables them or not)."""
    ws = ws_of(demo_dir)
    built = rs.build_report(ws, "statistics")
    ledgers = ws.all_ledgers
    ctx = built.ctx
    records = list(ws.store.all())
    rows = {r.label: r.values for r in built.rows}
    checked = 0
    for village, values in rows.items():
        if village == "合计":
            continue
        here = [r for r in records if (r.get("village") or "（未填）") == village]

        def members(lid, test=lambda r: True, here=here):
            return sum(1 for r in ledgers[lid].members(here, ctx) if ctx.classify(r).in_campaign and test(r))

        assert values["cohort"] == members("school-age")
        def registered(category):
            return lambda record: ledgers["shuangcheng-register"].columns[0].value(record, ctx) == category
        assert values["studying"] == members("in-school-local") + members("in-school-nonlocal") + \
            members("shuangcheng-register", registered("区域内就读无学籍")) + \
            members("shuangcheng-register", registered("省内外就读无学籍"))
        assert values["suspected"] == members("suspected-dropout")
        assert values["dropout"] == members("dropout")
        assert values["suspected"] + values["dropout"] == members("shuangcheng-register", registered("辍学"))
        assert values["out_of_school"] == members("shuangcheng-register", registered("失学"))
        assert values["not_dropout:免予入学"] == members("exemption-roster")
        assert values["not_dropout:延缓入学"] == members("deferred", lambda r: r.get("status") == "延缓入学")
        assert values["cohort"] == values["studying"] + values["not_dropout"] + values["out_of_school"] + \
            values["suspected"] + values["dropout"] + values["pending"]
        assert values["not_dropout"] == sum(v for k, v in values.items() if k.startswith("not_dropout:"))
        checked += values["cohort"]
    total = rows["合计"]
    assert checked == total["cohort"] == sum(1 for r in records if ctx.classify(r).in_campaign) > 1000
    assert total["suspected"] > 0 and total["dropout"] > 0 and total["not_dropout"] > 0


def test_totals_that_do_not_add_up_are_refused():
    from kbtui.domain.report import ReportRow, check_totals, count

    columns = (count("人数", "n", lambda r, c: True),)
    rows = [ReportRow("甲村", {"n": 2}), ReportRow("乙村", {"n": 3}), ReportRow("合计", {"n": 6}, "total", (0, 1))]
    with pytest.raises(ReportError, match="合计"):
        check_totals(rows, columns)


def test_statistics_kinds_follow_the_registered_situations(demo_dir: Path):
    ws = ws_of(demo_dir)
    ctx = rs.report_context(ws)
    headers = [h for h, _ in ws.reports["statistics"].headers(ctx)]
    assert set(ws.statuses.labels(__import__("kbtui.domain.status",
                                             fromlist=["Kind"]).Kind.NOT_DROPOUT)) <= set(headers)
    assert isinstance(ctx, ReportContext)


# --------------------------------------------------------------------------- a county's variant

VARIANT_REPORT = '''
import kbtui
from kbtui.domain.report import by_school, count


@kbtui.hookimpl
def kbtui_register_reports(registry):
    stock = registry["statistics"]
    registry.replace("statistics", stock
        .renamed({"学龄人口": "应入学人数", "村（社区）": "村名"})
        .with_columns(count("留守儿童", "left_behind", lambda r, ctx: "留守儿童" in (r.get("key_groups") or [])),
                      after="cohort")
        .but(title="{township}{year}年控辍保学情况统计表（县定格式）"))
    registry.add("statistics-by-school", stock.but(id="statistics-by-school", group_by=by_school,
                                                   label_header="学校", title="{township}{year}年分学校统计表"))
'''

VARIANT_LEDGER = '''
import dataclasses
import kbtui
from kbtui.domain import ledger_columns as lc


@kbtui.hookimpl
def kbtui_register_ledgers(registry):
    stock = registry["in-school-local"]
    renamed = tuple(dataclasses.replace(c, header="家长") if c.header == "监护人" else c for c in stock.columns)
    registry.replace("in-school-local", dataclasses.replace(
        stock,
        title="{township}{year}年在校学生花名册",
        columns=renamed + (lc.text("民族", "ethnicity", 6),),
        sort_key=lambda r: tuple(r.get(key) or "" for key in ("school", "grade", "class_name", "name")),
    ))
'''


def county_folder(tmp_path: Path, text: str) -> Path:
    import os

    folder = tmp_path / "county"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "county_forms.py").write_text(text, encoding="utf-8")
    return folder


def test_county_derives_a_report_variant_from_a_plugin_folder(demo_copy: Path, tmp_path: Path):
    folder = county_folder(tmp_path, VARIANT_REPORT)
    profile = demo_copy / "profile.toml"
    profile.write_text(profile.read_text(encoding="utf-8").replace(
        'enabled = ["statistics"]', 'enabled = ["statistics", "statistics-by-school"]'), encoding="utf-8")
    args = ["--plugins-dir", str(folder)]
    shown = json.loads(run_cli(*args, "report", "show", "statistics", "--json", data_dir=demo_copy).output)
    assert shown["title"] == "双山镇2024年控辍保学情况统计表（县定格式）"
    assert shown["headers"][:5] == ["序号", "村名", "应入学人数", "留守儿童", "在校"]
    ws = ws_of(demo_copy)
    ctx = rs.report_context(ws)
    for row in shown["rows"][:-1]:
        expected = sum(1 for r in ws.store.all() if ctx.classify(r).in_campaign
                       and (r.get("village") or "（未填）") == row["label"]
                       and "留守儿童" in (r.get("key_groups") or []))
        assert row["values"]["left_behind"] == expected
    assert shown["rows"][-1]["values"]["left_behind"] == sum(r["values"]["left_behind"] for r in shown["rows"][:-1]) > 0
    by_school = json.loads(run_cli(*args, "report", "show", "statistics-by-school", "--json",
                                   data_dir=demo_copy).output)
    assert by_school["headers"][1] == "学校"
    labels = [r["label"] for r in by_school["rows"]]
    assert "双山小学" in labels and labels[-1] == "合计" and "高峰村" not in labels
    assert by_school["rows"][-1]["values"]["cohort"] == shown["rows"][-1]["values"]["cohort"]
    plugins = json.loads(run_cli(*args, "plugins", "--json", data_dir=demo_copy).output)["plugins"]
    mine = next(p for p in plugins if p["name"] == "county_forms")
    assert mine["registers"]["报表"] == ["statistics", "statistics-by-school"]
    out = tmp_path / "县定格式.xlsx"
    assert run_cli(*args, "report", "export", "statistics", "-o", str(out), data_dir=demo_copy).exit_code == 0
    assert openpyxl.load_workbook(out).active["D3"].value == "留守儿童"


def test_county_derives_a_ledger_variant_from_a_plugin_folder(demo_dir: Path, tmp_path: Path):
    folder = county_folder(tmp_path, VARIANT_LEDGER)
    out = tmp_path / "花名册.xlsx"
    result = run_cli("--plugins-dir", str(folder), "ledger", "export", "in-school-local", "-o", str(out),
                     data_dir=demo_dir)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "双山镇2024年在校学生花名册"
    headers = [c.value for c in ws[3]]
    assert "家长" in headers and "监护人" not in headers and headers[-1] == "民族"
    school_col = headers.index("就读学校") + 1
    schools = [ws.cell(row=r, column=school_col).value or "" for r in range(4, ws.max_row + 1)
               if isinstance(ws.cell(row=r, column=1).value, int)]
    assert schools == sorted(schools) and len(set(schools)) > 1
