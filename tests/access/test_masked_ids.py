"""A child may be named by the masked ID number the lists show (issue 19 point 4's side effect).

Since lists are masked by role, a 县复核 sees ``500224********1234`` in ``kbtui review --list`` and could no
longer pass one child from the command line: every command wanted the full number, which that role never
sees. Now every command naming a child (``cli.common.CHILD_PARAMETERS``) takes the masked form for the one
child in the operator's scope it fits; several or none: a Chinese message, nothing done.
"""
from __future__ import annotations

import datetime as dt
import json

from kbtui.domain.idcard import make_id, mask_id
from kbtui.services.workspace import Workspace
from tests.helpers.imports import run, workspace
from tests.helpers.township_books import children


def checked_by_town(data) -> None:
    run(data, "review", "--level", "村/校核查", "--village", "高峰村")
    run(data, "review", "--level", "镇核查", "--village", "高峰村")
    run(data, "operators", "add", "county", "--role", "县复核", "--name", "区教委督学")


def test_the_county_passes_one_child_by_the_masked_number_it_is_shown(township):  # noqa: F811
    checked_by_town(township)
    listed = json.loads(run(township, "--operator", "county", "review", "--level", "县复核", "--list", "--json").stdout)
    shown = [r["id_number"] for r in listed["awaiting"]]
    assert len(shown) >= 2 and all("*" in i for i in shown)              # the county sees masked numbers
    passed = run(township, "--operator", "county", "review", shown[0], "--level", "县复核")
    assert "“县复核”通过 1 条" in passed.output, passed.output
    levels = {c.id_number: workspace(township).store.get(c.id_number).get("check_level") for c in children()}
    [chosen] = [i for i, level in levels.items() if level == "县复核"]
    assert mask_id(chosen) == shown[0]
    back = run(township, "--operator", "county", "review", shown[1], "--level", "县复核", "--reject", "缺少证明")
    assert "已退回" in back.output and mask_id(chosen) not in back.output


def test_other_commands_take_the_masked_number_too(township):  # noqa: F811
    checked_by_town(township)
    kid = next(c for c in children() if c.village == "高峰村" and workspace(township).store.get(c.id_number)
               .get("status"))
    log = json.loads(run(township, "--operator", "county", "audit", "log", "--child", mask_id(kid.id_number),
                         "--json").stdout)
    assert log["count"] > 0 and {e["record"] for e in log["entries"]} == {mask_id(kid.id_number)}
    absent = run(township, "absence", "add", mask_id(kid.id_number), "--from", "2024-09-10")
    assert absent.exit_code == 0, absent.output
    assert workspace(township).store.collection("absences").find(id_number=kid.id_number)


def test_a_masked_number_that_fits_several_children_lists_them_and_does_nothing(township):  # noqa: F811
    ws = Workspace.open(township, "tester")
    twins = []
    for day in range(1, 400):                        # two children whose masked numbers are the same
        candidate = make_id("500224", dt.date(2013, 1, 1) + dt.timedelta(days=day), 123)
        if not twins or candidate[-4:] == twins[0][-4:]:
            twins.append(candidate)
        if len(twins) == 2:
            break
    ws.store.insert_many([{"id_number": twins[0], "name": "甲某", "village": "高峰村", "group": "1组"},
                          {"id_number": twins[1], "name": "乙某", "village": "尖山村", "group": "2组"}], "tester")
    masked = mask_id(twins[0])
    assert masked == mask_id(twins[1])
    result = run(township, "visit", masked, "--status", "在籍在校", "--school", "双山小学", ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"“{masked}”对应2 名儿童" in result.output or "对应2 名儿童" in result.output.replace(" ", " ")
    assert "甲某" in result.output and "乙某" in result.output and twins[0] not in result.output
    assert not any(Workspace.open(township, "tester").store.get(t).get("status") for t in twins)
    nobody = run(township, "visit", "110101********0000", "--status", "在籍在校", ok=False)
    assert nobody.exit_code == 1 and "没有与“110101********0000”相符的儿童" in nobody.output


def test_a_village_cadre_cannot_reach_a_child_outside_the_village_by_a_masked_number(township):  # noqa: F811
    outside = next(c for c in children() if c.village == "尖山村")
    result = run(township, "--operator", "wangzs", "visit", mask_id(outside.id_number), "--status", "在籍在校",
                 ok=False)
    assert result.exit_code == 1 and "没有与" in result.output and outside.name not in result.output
