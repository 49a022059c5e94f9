"""Issue 17, a district's per-child records (cases, tasks …) by town, on both stores: a town admin reads,
counts and edits their town's only, the district bureau sees every town's with town subtotals; a town admin's
list naming a child registered in another town rejects that row (the rest imported, the conflict reported to
the bureau)."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.imports import cid, xlsx

HEAD = ["姓名", "身份证号", "户籍地址", "村（社区）"]
A, B, C = cid("2012-01-01", 51), cid("2012-01-01", 55), cid("2012-01-01", 57)


@pytest.fixture(params=["tinydb", "postgresql"])
def district(request, tmp_path: Path) -> Path:
    """The 山亭 district: 孙一 in 城头镇新村, 孙三 in 桑村镇新村, 孙四 in 城头镇城头村; the bureau (ju) and 城头镇's
    admin (cheng) and 桑村镇's (sang)."""
    data = tmp_path / "data"
    database: tuple[str, ...] = ()
    if request.param == "postgresql":
        from tests.helpers.store_backends import postgres_backend

        backend = postgres_backend(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_database"))
        request.addfinalizer(backend.close)
        database = ("--database", backend.spec)
    assert run_cli("init", "--profile", "shanting-2019", *database, data_dir=data).exit_code == 0
    rows = [["孙一", A, "山亭区城头镇新村", "新村"], ["孙三", B, "山亭区桑村镇新村", "新村"],
            ["孙四", C, "山亭区城头镇城头村", "城头村"]]
    result = run_cli("import", "police", str(xlsx(tmp_path / "户籍.xlsx", [HEAD, *rows])), data_dir=data)
    assert result.exit_code == 0, result.output
    for args in (["ju", "--role", "区县教育局"], ["cheng", "--role", "镇管理员", "--town", "城头镇"],
                 ["sang", "--role", "镇管理员", "--town", "桑村镇"]):
        assert run_cli("operators", "add", *args, data_dir=data).exit_code == 0
    return data


def _cases(data, operator) -> list[dict]:
    result = run_cli("case", "list", "--json", data_dir=data, operator=operator)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_town_admin_sees_counts_and_edits_only_their_towns_cases(district):
    data = district
    assert run_cli("case", "open", A, "--reason", "学习困难/厌学", data_dir=data, operator="cheng").exit_code == 0
    assert run_cli("case", "open", B, "--reason", "学习困难/厌学", data_dir=data, operator="ju").exit_code == 0
    assert [c["id_number"] for c in _cases(data, "cheng")] == [A]
    assert [c["id_number"] for c in _cases(data, "sang")] == [B]
    assert sorted(c["id_number"] for c in _cases(data, "ju")) == sorted([A, B])
    bureau = run_cli("case", "list", data_dir=data, operator="ju").output
    assert "城头镇 1 件" in bureau and "桑村镇 1 件" in bureau and "共 2 件" in bureau
    other = next(c["key"] for c in _cases(data, "ju") if c["id_number"] == B)
    refused = run_cli("case", "edit", other, "--persuader", "某人", data_dir=data, operator="cheng")
    assert refused.exit_code == 1 and "孙三" not in refused.output
    assert run_cli("case", "show", other, data_dir=data, operator="cheng").exit_code == 1
    assert run_cli("case", "edit", other, "--persuader", "张老师", data_dir=data, operator="ju").exit_code == 0
    assert run_cli("case", "edit", other, "--persuader", "李老师", data_dir=data, operator="sang").exit_code == 0


def test_the_tasks_report_subtotals_towns_and_a_town_sees_its_own(district):
    data = district
    bureau = json.loads(run_cli("tasks", "--json", data_dir=data, operator="ju").output)
    assert sorted(t["id_number"] for t in bureau["tasks"]) == sorted([A, B, C])
    assert {t["town"]: t["assigned"] for t in bureau["by_town"]} == {"城头镇": 2, "桑村镇": 1}
    assert {t["town"]: t["unassigned"] for t in bureau["by_town"]} == {"城头镇": 2, "桑村镇": 1}
    shown = run_cli("tasks", data_dir=data, operator="ju").output
    assert "按乡镇（街道）：" in shown and "  城头镇  任务 2" in shown and "  桑村镇  任务 1" in shown
    town = json.loads(run_cli("tasks", "--json", data_dir=data, operator="sang").output)
    assert [t["id_number"] for t in town["tasks"]] == [B] and town["totals"]["assigned"] == 1


def test_a_town_admins_list_rejects_another_towns_child_row_by_row(district, tmp_path):
    data = district
    new = cid("2012-02-02", 61)
    rows = [["孙一", A, "山亭区桑村镇新村", "新村"],          # registered in 城头镇
            ["孙五", new, "山亭区桑村镇桑村", "桑村"]]
    result = run_cli("import", "police", str(xlsx(tmp_path / "桑村户籍.xlsx", [HEAD, *rows])), data_dir=data,
                     operator="sang")
    assert result.exit_code == 0, result.output
    assert "第2行" in result.output and "已在本区其他乡镇（街道）登记" in result.output
    assert "城头" not in result.output
    ws = Workspace.open(data, "ju")
    assert ws.store.get(new)["town"] == "桑村镇"
    assert ws.store.get(A)["town"] == "城头镇"
    rejects = sorted((data / "rejects").glob("桑村户籍-未导入-*.xlsx"))
    assert rejects
    cells = [c.value for row in openpyxl.load_workbook(rejects[-1]).active.iter_rows() for c in row]
    assert any(isinstance(v, str) and "已在本区其他乡镇（街道）登记" in v for v in cells)
    # the bureau is told: kbtui check lists the conflict with both towns
    check = run_cli("check", data_dir=data, operator="ju").output
    assert "桑村镇" in check and A in check


def test_a_town_servers_login_imports_its_list_and_the_bureau_is_told_of_the_conflict(pg_server, pg_database,
                                                                                    tmp_path, monkeypatch):
    """A town's kbtui connecting with its town's own database login (KBTUI_DATABASE_URL): the row of a child
    registered in another town is rejected (the database would not even let it read that child), the others
    imported; the bureau's check lists the conflict."""
    from tests.helpers.store_backends import postgres_backend

    backend = postgres_backend(pg_server, pg_database)
    data = tmp_path / "data"
    try:
        assert run_cli("init", "--profile", "shanting-2019", "--database", backend.spec, data_dir=data).exit_code == 0
        first = xlsx(tmp_path / "城头.xlsx", [HEAD, ["孙一", A, "山亭区城头镇新村", "新村"]])
        assert run_cli("import", "police", str(first), data_dir=data).exit_code == 0
        added = run_cli("operators", "add", "sang", "--role", "镇管理员", "--town", "桑村镇", data_dir=data)
        assert added.exit_code == 0
        new = cid("2012-02-02", 63)
        listed = xlsx(tmp_path / "桑村户籍.xlsx", [HEAD, ["孙一", A, "山亭区桑村镇新村", "新村"],
                                                   ["孙六", new, "山亭区桑村镇桑村", "桑村"]])
        monkeypatch.setenv("KBTUI_DATABASE_URL", backend.town_spec("桑村镇"))
        result = run_cli("import", "police", str(listed), data_dir=data, operator="sang")
        assert result.exit_code == 0, result.output
        assert "已在本区其他乡镇（街道）登记" in result.output and "城头" not in result.output
        assert "新增儿童 1 人" in result.output
        monkeypatch.delenv("KBTUI_DATABASE_URL")
        assert Workspace.open(data, "tester").store.get(new)["town"] == "桑村镇"
        check = run_cli("check", data_dir=data).output
        assert A in check and "桑村户籍.xlsx" in check and "桑村镇" in check and "城头镇" in check
    finally:
        backend.close()


def test_kept_counts_are_never_shared_between_the_bureau_and_a_town(district):
    """The counts kept on disk per village file (the dashboard's) are the operator's scope's: a town admin's
    (their town only) are not the bureau's, nor one town's village cadre's another town's of the same name."""
    from kbtui.services.children.counts import counts_cache

    data = district
    for args in (["cun1", "--role", "村干部", "--town", "城头镇", "--village", "新村"],
                 ["cun2", "--role", "村干部", "--town", "桑村镇", "--village", "新村"]):
        assert run_cli("operators", "add", *args, data_dir=data).exit_code == 0
    seen = {}
    for operator in ("cheng", "ju", "sang", "cun1", "cun2", "ju"):
        ws = Workspace.open(data, operator)
        seen[operator] = counts_cache(ws).current().children
    assert seen == {"cheng": 2, "ju": 3, "sang": 1, "cun1": 1, "cun2": 1}
