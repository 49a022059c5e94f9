"""Issue 17, a district's villages and operators as the bureau and the towns use them: a village named with its
town (城头镇新村, since 城头镇 and 桑村镇 both have a 新村), a bare name two towns share refused with the
candidates, ``--town`` on the listing commands, the scope text (全区, never 全镇, in a district), and the
operators' towns and roles (CLI and services)."""
from __future__ import annotations

import json

import pytest

from kbtui.domain import roles as R
from kbtui.services.access import operator_admin
from kbtui.services.access.operators import OperatorsError, load_operators
from kbtui.services.children.places import Place, find_village, village_label
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.imports import cid

CHILDREN = [  # (name, town, village)
    ("城一", "城头镇", "新村"), ("城二", "城头镇", "新村"), ("城三", "城头镇", "城头村"),
    ("桑一", "桑村镇", "新村"), ("桑二", "桑村镇", "杨庄村"), ("山一", "山城街道", "东江村"),
]


@pytest.fixture
def district(tmp_path):
    data = tmp_path / "data"
    assert run_cli("init", "--profile", "shanting-2019", data_dir=data).exit_code == 0
    ws = Workspace.open(data, "tester")
    ws.store.insert_many([{"id_number": cid("2010-03-01", 11 + 2 * n), "name": name, "town": town, "village": village,
                           "birth_date": "2010-03-01", "sources": ["police"]}
                          for n, (name, town, village) in enumerate(CHILDREN)], "tester")
    for args in (["bureau", "--role", "区县教育局"], ["ct", "--role", "镇管理员", "--town", "城头镇"],
                 ["sc", "--role", "镇管理员", "--town", "桑村镇"]):
        assert run_cli("operators", "add", *args, data_dir=data).exit_code == 0
    return data


@pytest.mark.parametrize("typed, place", [
    ("城头镇新村", Place("城头镇", "新村")),
    ("城头镇·新村", Place("城头镇", "新村")),
    ("城头 新村", Place("城头镇", "新村")),
    ("桑村镇新村", Place("桑村镇", "新村")),
    ("杨庄村", Place("桑村镇", "杨庄村")),        # a bare name of one town only
    ("城头镇城头村", Place("城头镇", "城头村")),
])
def test_a_district_village_is_named_with_its_town(district, typed, place):
    ws = Workspace.open(district, "tester")
    assert find_village(ws, typed, ValueError) == place


@pytest.mark.parametrize("typed, message", [
    ("新村", "村（社区）“新村”在多个乡镇（街道）都有：城头镇新村、桑村镇新村，请写明乡镇，如“城头镇新村”"),
    ("北庄镇新村", "没有北庄镇新村的儿童；现有：山城街道东江村、城头镇城头村、城头镇新村、桑村镇新村、桑村镇杨庄村"),
    ("桃园村", "没有村（社区）为“桃园村”的儿童；现有："),
])
def test_an_ambiguous_or_unknown_village_is_refused_with_the_candidates(district, typed, message):
    ws = Workspace.open(district, "tester")
    with pytest.raises(ValueError) as caught:
        find_village(ws, typed, ValueError)
    assert message in str(caught.value)


def test_a_town_admin_names_their_village_bare(district):
    ws = Workspace.open(district, "ct")
    assert find_village(ws, "新村", ValueError) == Place("城头镇", "新村")     # only 城头镇's children in scope


def test_a_town_alone_and_a_town_with_its_village(district):
    ws = Workspace.open(district, "tester")
    assert find_village(ws, None, ValueError, "城头") == Place("城头镇", "")
    assert find_village(ws, "新村", ValueError, "桑村镇") == Place("桑村镇", "新村")
    with pytest.raises(ValueError, match="本区没有这个乡镇"):
        find_village(ws, None, ValueError, "桃源镇")
    assert village_label({"town": "城头镇", "village": "新村"}, True) == "城头镇新村"
    assert village_label({"town": "城头镇", "village": "新村"}, False) == "新村"


def test_the_cli_refuses_a_bare_village_two_towns_share(district):
    result = run_cli("ledger", "list", "--village", "新村", data_dir=district)
    assert result.exit_code == 1 and "城头镇新村、桑村镇新村" in result.output
    two = run_cli("ledger", "list", "--village", "城头镇新村", "--json", data_dir=district)
    one = run_cli("ledger", "list", "--village", "新村", "--town", "桑村镇", "--json", data_dir=district)
    rows = {i["id"]: i["rows"] for i in json.loads(two.output)["ledgers"]}
    rows_one = {i["id"]: i["rows"] for i in json.loads(one.output)["ledgers"]}
    assert rows["school-age"] == 2 and rows_one["school-age"] == 1
    tasks = run_cli("tasks", "--village", "新村", data_dir=district)
    assert tasks.exit_code == 1 and "请写明乡镇" in tasks.output


def test_a_ledger_exported_for_one_town(district, tmp_path):
    out = tmp_path / "城头镇.xlsx"
    result = run_cli("ledger", "export", "school-age", "--town", "城头镇", "-o", str(out), data_dir=district)
    assert result.exit_code == 0 and "3 人" in result.output, result.output


def test_the_dashboard_counts_the_two_new_villages_apart(district):
    from kbtui.services.children.counts import current_counts

    counts = current_counts(Workspace.open(district, "tester"))
    assert counts.by_village()["城头镇新村"] == 2 and counts.by_village()["桑村镇新村"] == 1


# --------------------------------------------------------------------------- scope and operators

def test_scopes_read_the_district_never_the_township(district):
    ops = load_operators(district, district=True)
    assert ops["bureau"].scope_text() == "全区" and ops["ct"].scope_text() == "城头镇"
    run_cli("operators", "add", "du", "--role", "督导", data_dir=district)
    listed = run_cli("operators", "list", data_dir=district).output
    assert "du  du  督导  范围：全区" in listed and "全镇" not in listed
    roles = run_cli("operators", "roles").output
    assert "区县管理员：全区数据（各乡镇），可管理操作员、备份与恢复（全区；" in roles
    assert "区县教育局：全区数据（各乡镇），不能管理操作员（全区；" in roles


def test_a_village_cadre_named_with_town_and_village(district):
    result = run_cli("operators", "add", "li", "--role", "村干部", "--village", "桑村镇新村", data_dir=district)
    assert result.exit_code == 0 and "范围：桑村镇 新村" in result.output, result.output
    assert load_operators(district)["li"].towns == ("桑村镇",)
    wrong = run_cli("operators", "add", "wu", "--role", "村干部", "--town", "城头镇", "--village", "杨庄村",
                    data_dir=district)
    assert wrong.exit_code == 1 and "城头镇没有村（社区）“杨庄村”，可用的有：" in wrong.output
    assert "城头镇新村" in wrong.output


def test_district_roles_only_on_a_district_profile(district, tmp_path):
    township = tmp_path / "township"
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=township).exit_code == 0
    result = run_cli("operators", "add", "ju", "--role", "区县教育局", data_dir=township)
    assert result.exit_code == 1 and "区县教育局是区县数据的角色，本数据目录是乡镇配置" in result.output
    assert R.DISTRICT_BUREAU not in operator_admin.offered_roles(Workspace.open(township, "tester"))
    assert R.DISTRICT_BUREAU in operator_admin.offered_roles(Workspace.open(district, "tester"))
    town_admin = Workspace.open(district, "ct")        # cannot give a district role
    assert not set(R.DISTRICT_ROLES) & set(operator_admin.offered_roles(town_admin))


def test_a_town_admin_manages_only_their_towns_operators(district):
    ws = Workspace.open(district, "ct")
    with pytest.raises(OperatorsError, match="您只管城头镇，不能添加、修改或删除桑村镇的操作员（sc，镇管理员）"):
        operator_admin.require_may_manage(ws, load_operators(district)["sc"])
    operator_admin.require_may_manage(ws, load_operators(district)["ct"])
