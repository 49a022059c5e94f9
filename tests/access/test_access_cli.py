"""Each role, logged in with --operator, tries to read, search, export and change outside its scope
through the CLI: every attempt is refused (or sees nothing outside the scope)."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from kbtui.domain import roles as R
from kbtui.domain.idcard import mask_id
from kbtui.services.access import operators
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.access import OPERATORS, SCHOOL, VILLAGE, inside_and_outside, scope_of


def cli(data: Path, operator: str, *args: str):
    return run_cli(*args, data_dir=data, operator=operator)


# --- who may open the data at all ------------------------------------------------------------

def test_an_unconfigured_user_gets_a_message_and_nothing_else(scoped):
    result = cli(scoped, "stranger", "stats")
    assert result.exit_code == 1
    assert "不是本数据目录的操作员" in result.output and "stranger" in result.output
    assert "儿童" not in result.output.replace("查看或修改任何数据", "")      # no counts, no names
    assert "Traceback" not in result.output


def test_operator_impersonation_needs_root_or_a_town_admin(scoped, monkeypatch):
    monkeypatch.setattr(operators, "is_root", lambda: False)
    # a village cadre logged in as themselves may not pose as someone else
    monkeypatch.setattr(operators, "os_login", lambda: "cadre")
    refused = cli(scoped, "tester", "stats")
    assert refused.exit_code == 1 and "--operator 只供镇管理员" in refused.output
    own = run_cli("stats", "--json", data_dir=scoped, operator="cadre")
    assert own.exit_code == 0
    # a 镇管理员's login may (admins and tests)
    monkeypatch.setattr(operators, "os_login", lambda: "tester")
    assert cli(scoped, "cadre", "stats").exit_code == 0


def test_the_creator_of_a_fresh_folder_is_town_admin(tmp_path):
    data = tmp_path / "fresh"
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=data, operator="zhang").exit_code == 0
    ops = operators.load_operators(data)
    assert ops["zhang"].role == R.TOWN_ADMIN
    assert (data / "operators.toml").stat().st_mode & 0o777 == 0o600
    listed = run_cli("operators", "list", "--json", data_dir=data, operator="zhang")
    assert json.loads(listed.output)["current"] == "zhang"


# --- read and search ----------------------------------------------------------------------------

@pytest.mark.parametrize("login", ["cadre", "school"])
def test_counts_and_checks_cover_only_the_scope(scoped, login):
    admin = Workspace.open(scoped, "tester")
    scope = scope_of(admin, login)
    expected = sum(1 for r in admin.raw_store.all() if scope.allows(r))
    assert 0 < expected < len(admin.raw_store)
    stats = json.loads(cli(scoped, login, "stats", "--json").output)
    assert stats["children"] == expected
    if login == "cadre":
        assert set(stats["by_village"]) == {VILLAGE}
    problems = json.loads(cli(scoped, login, "check", "--json").output)["problems"]
    assert all(scope.allows(admin.raw_store.get(p["id_number"])) for p in problems
               if admin.raw_store.get(p["id_number"]))


@pytest.mark.parametrize("login", ["cadre", "school"])
def test_details_and_history_outside_the_scope_are_refused(scoped, login):
    admin = Workspace.open(scoped, "tester")
    inside, outside = inside_and_outside(admin, login)
    ws = Workspace.open(scoped, login)
    assert ws.store.get(outside["id_number"]) is None           # as if it did not exist
    assert outside["id_number"] not in ws.store.ids()
    with pytest.raises(operators.AccessDenied, match="不在您的管辖范围"):
        ws.store.require(outside["id_number"])
    assert ws.store.get(inside["id_number"])["id_number"] == inside["id_number"]   # full value in details
    refused = cli(scoped, login, "audit", "log", "--child", outside["id_number"])
    assert refused.exit_code == 1 and "不在您的管辖范围" in refused.output
    own = cli(scoped, login, "audit", "log", "--json")
    records = {e["record"] for e in json.loads(own.output)["entries"]}
    # a listing shows a 村干部/学校 masked numbers (issue 19 point 4): the entries are about children in scope
    in_scope = {mask_id(i) for i in ws.store.ids()}
    assert records and records <= in_scope and all("*" in r for r in records)


# --- export -------------------------------------------------------------------------------------

def _exported(data: Path, login: str, tmp_path: Path) -> tuple[list[str], openpyxl.Workbook]:
    out = tmp_path / f"{login}.xlsx"
    result = cli(data, login, "ledger", "export", "in-school-local", "-o", str(out))
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    header_row = next(r for r in ws.iter_rows(values_only=True) if r and "身份证号" in r)
    col = header_row.index("身份证号")
    ids = [str(r[col]) for r in ws.iter_rows(values_only=True)
           if r and r[col] and str(r[col]) != "身份证号" and len(str(r[col])) == 18]
    return ids, wb


@pytest.mark.parametrize("login", ["cadre", "school", "sup", "county", "edu"])
def test_exports_hold_the_scope_and_say_who_exported_what(scoped, login, tmp_path):
    admin = Workspace.open(scoped, "tester")
    scope = scope_of(admin, login)
    ids, wb = _exported(scoped, login, tmp_path)
    assert ids
    role = R.ROLES[OPERATORS[login][0]]
    if role.full_exports:
        assert all(scope.allows(admin.raw_store.get(i)) for i in ids)
        assert all("*" not in i for i in ids)
    else:
        assert all("*" in i for i in ids)                       # 500224********1234
        assert all(i[:6].isdigit() and i[-4:-1].isdigit() for i in ids)
    if scope.kind == R.VILLAGES:
        assert len(ids) < len(_exported(scoped, "tester", tmp_path)[0])
    props = wb.properties
    assert props.lastModifiedBy == login
    assert operators.load_operators(scoped)[login].scope_text() in props.category
    entry = [e for e in admin.raw_store.journal.entries(operator=login) if e["action"] == "export"][-1]
    assert entry["detail"]["scope"] == operators.load_operators(scoped)[login].scope_text()
    assert entry["detail"]["rows"] == len(ids)


# --- change ------------------------------------------------------------------------------------

@pytest.mark.parametrize("login", ["cadre", "school"])
def test_changes_outside_the_scope_are_refused(scoped, login):
    admin = Workspace.open(scoped, "tester")
    _inside, outside = inside_and_outside(admin, login)
    before = admin.raw_store.get(outside["id_number"])
    result = cli(scoped, login, "visit", outside["id_number"], "--status", "在籍在校", "--date", "2024-09-10")
    assert result.exit_code == 1 and "Traceback" not in result.output
    admin.raw_store.refresh()
    assert admin.raw_store.get(outside["id_number"])["_v"] == before["_v"]
    ws = Workspace.open(scoped, login)
    with pytest.raises(operators.AccessDenied, match="不在您的管辖范围"):
        ws.store.update(outside["id_number"], {"note": "x"}, login)
    with pytest.raises(operators.AccessDenied):
        ws.store.collection("absences").insert({"id_number": outside["id_number"], "start": "2024-09-10"})


def test_a_cadre_cannot_move_a_child_out_of_the_village(scoped):
    admin = Workspace.open(scoped, "tester")
    inside, _outside = inside_and_outside(admin, "cadre")
    ws = Workspace.open(scoped, "cadre")
    with pytest.raises(operators.AccessDenied, match="修改后"):
        ws.store.update(inside["id_number"], {"village": "尖山村"}, "cadre")
    ws.store.update(inside["id_number"], {"note": "本村内修改"}, "cadre")
    assert ws.store.get(inside["id_number"])["note"] == "本村内修改"
    last = list(admin.raw_store.journal.entries(record=inside["id_number"]))[-1]
    assert last["operator"] == "cadre"


@pytest.mark.parametrize("login", ["sup", "county"])
def test_read_only_roles_cannot_change_anything(scoped, login):
    admin = Workspace.open(scoped, "tester")
    child = next(r for r in admin.raw_store.all() if r.get("name"))
    result = cli(scoped, login, "visit", child["id_number"], "--status", "在籍在校", "--date", "2024-09-10")
    assert result.exit_code == 1 and "只能查看" in result.output
    ws = Workspace.open(scoped, login)
    with pytest.raises(operators.AccessDenied, match="只能查看"):
        ws.store.update(child["id_number"], {"note": "x"}, login)
    with pytest.raises(operators.AccessDenied):
        ws.store.insert_many([{"id_number": "500224201501010011", "name": "新", "village": VILLAGE}], login)
    with pytest.raises(operators.AccessDenied):
        ws.store.collection("people").insert({"name": "某", "role": "班主任", "unit": SCHOOL})
    assert cli(scoped, login, "backup").exit_code == 1
    assert cli(scoped, login, "operators", "add", "x", "--role", "督导").exit_code == 1


def test_county_review_may_write_review_fields_only(scoped):
    admin = Workspace.open(scoped, "tester")
    child = next(r for r in admin.raw_store.all() if r.get("name"))
    ws = Workspace.open(scoped, "county")
    ws.store.update(child["id_number"], {"check_level": "县复核"}, "county")
    with pytest.raises(operators.AccessDenied, match="只能查看和复核"):
        ws.store.update(child["id_number"], {"check_level": "县复核", "status": "辍学"}, "county")


def test_only_a_town_admin_manages_operators(scoped):
    refused = cli(scoped, "edu", "operators", "add", "newcadre", "--role", "村干部", "--village", VILLAGE)
    assert refused.exit_code == 1 and "不能管理操作员" in refused.output
    ok = cli(scoped, "tester", "operators", "add", "newcadre", "--role", "村干部", "--village", VILLAGE)
    assert ok.exit_code == 0, ok.output
    assert "newcadre" in operators.load_operators(scoped)
    assert cli(scoped, "tester", "operators", "remove", "newcadre").exit_code == 0
    admins = [o for o, op in operators.load_operators(scoped).items() if op.role == R.TOWN_ADMIN]
    for other in [a for a in admins if a != "tester"]:      # the OS login that made the demo, if not tester
        assert cli(scoped, "tester", "operators", "remove", other).exit_code == 0
    last_admin = cli(scoped, "tester", "operators", "remove", "tester")
    assert last_admin.exit_code == 1 and "最后一位镇管理员" in last_admin.output
    unknown = cli(scoped, "tester", "operators", "add", "x", "--role", "村干部", "--village", "月亮村")
    assert unknown.exit_code == 1 and "月亮村" in unknown.output
