"""Issue 17: a district's reports and early-warning list for one town. A town's staff get their own town's
rows only (before, every other town's villages and schools were printed as rows of zeros), the bureau gets
every town or, with ``--town``, one; the 区直学校 belong to no town and are in the whole district's report only."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from kbtui.services.workspace import Workspace
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("district") / "data"
    assert run_cli("demo", "--profile", "shanting-2019", "--children", "600", "--no-tui",
                   data_dir=data).exit_code == 0
    for args in (["bureau", "--role", "区县教育局"], ["ct", "--role", "镇管理员", "--town", "城头镇"]):
        assert run_cli("operators", "add", *args, data_dir=data).exit_code == 0
    return data


def report(data: Path, operator: str, report_id: str, *extra: str) -> dict:
    result = run_cli("report", "show", report_id, "--json", *extra, data_dir=data, operator=operator)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def labels(built: dict) -> list[str]:
    return [row["label"] for row in built["rows"]]


def test_a_town_admin_s_village_report_has_its_town_s_rows_only(district):
    rows = labels(report(district, "ct", "statistics"))
    assert rows == ["城头镇城头村", "城头镇东城头村", "城头镇新村", "城头镇小计", "合计"]


def test_the_bureau_gets_every_town_or_one_with_town(district):
    every = labels(report(district, "bureau", "statistics"))
    assert "城头镇小计" in every and "桑村镇小计" in every and "徐庄镇小计" in every
    one = report(district, "bureau", "statistics", "--town", "桑村")            # 桑村 is 桑村镇
    assert labels(one) == ["桑村镇桑村", "桑村镇新村", "桑村镇杨庄村", "桑村镇小计", "合计"]
    assert one["village"] == "桑村镇"
    whole = {row["label"]: row["values"] for row in report(district, "bureau", "statistics")["rows"]}
    assert {row["label"]: row["values"] for row in one["rows"]}["桑村镇小计"] == whole["桑村镇小计"]


def test_the_comparison_by_town_and_the_school_report_for_one_town(district):
    assert labels(report(district, "ct", "shanting-comparison")) == ["城头镇", "合计"]
    town = labels(report(district, "bureau", "shanting-semester-dropout", "--town", "城头镇"))
    whole = labels(report(district, "bureau", "shanting-semester-dropout"))
    assert "城头镇小计" in town and "桑村镇小计" not in town and "区直学校小计" not in town
    assert "区直学校小计" in whole and "桑村镇小计" in whole


def test_a_town_and_a_village_together_and_a_town_that_is_not_there(district):
    built = report(district, "bureau", "statistics", "--town", "城头镇", "--village", "新村")
    assert labels(built)[0] == "城头镇新村" and built["village"] == "城头镇新村"
    result = run_cli("report", "show", "statistics", "--town", "无此镇", data_dir=district, operator="bureau")
    assert result.exit_code == 1 and "本区没有这个乡镇（街道）" in result.output


def test_the_report_export_names_the_town(district, tmp_path):
    out = tmp_path / "统计表.xlsx"
    result = run_cli("report", "export", "statistics", "--town", "桑村镇", "-o", str(out), data_dir=district,
                     operator="bureau")
    assert result.exit_code == 0, result.output

    cells = [c for row in openpyxl.load_workbook(out).active.iter_rows(values_only=True) for c in row if c]
    assert any("桑村镇杨庄村" == c for c in cells) and not any(str(c).startswith("城头镇") for c in cells)


def test_the_warning_list_for_one_town(district):
    result = run_cli("risk", "list", "--town", "桑村镇", "--json", data_dir=district, operator="bureau")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)["children"]
    every = json.loads(run_cli("risk", "list", "--json", data_dir=district, operator="bureau").output)["children"]
    ws = Workspace.open(district, "bureau")
    towns = {e["id_number"]: ws.store.get(e["id_number"])["town"] for e in every}
    assert listed and len(listed) < len(every)
    assert [e["id_number"] for e in listed] == [e["id_number"] for e in every if towns[e["id_number"]] == "桑村镇"]
