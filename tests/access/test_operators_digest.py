"""``audit verify`` covers operators.toml (issue 19): who may do what is in that file, and someone able to write
it could make themselves 镇管理员 unnoticed — verify checked the journal and the store files only. Every
change kbtui makes to the file (init included) is journaled with its digest before and after; verify
compares the file with the last one, and each change with the one before it."""
from __future__ import annotations

import json

from kbtui.services.access import operators
from tests.conftest import run_cli


def verify(data):
    result = run_cli("audit", "verify", "--json", data_dir=data)
    return result.exit_code, json.loads(result.stdout)


def with_cadre(data):
    done = run_cli("operators", "add", "lisi", "--role", "村干部", "--name", "李四", "--village", "高峰村",
                   data_dir=data)
    assert done.exit_code == 0, done.output
    return data


def make_admin_by_hand(data, login: str = "lisi") -> None:
    path = data / "operators.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index(f"[operators.{login}]")
    section = text[start:].replace('role = "村干部"', 'role = "镇管理员"', 1)
    path.write_text(text[:start] + section, encoding="utf-8")
    assert operators.load_operators(data)[login].role == "镇管理员"


def test_every_operators_change_keeps_verify_passing(empty_workspace_dir):
    data = with_cadre(empty_workspace_dir)
    for args in (["operators", "add", "lisi", "--role", "教育专干", "--name", "李四", "--replace"],
                 ["operators", "add", "wangwu", "--role", "督导", "--name", "王五"],
                 ["operators", "remove", "wangwu"]):
        assert run_cli(*args, data_dir=data).exit_code == 0
    code, report = verify(data)
    assert code == 0 and report["ok"], report


def test_a_hand_edit_making_oneself_town_admin_is_reported(empty_workspace_dir):
    data = with_cadre(empty_workspace_dir)
    make_admin_by_hand(data)
    code, report = verify(data)
    assert code == 1 and not report["ok"]
    [problem] = [p for p in report["problems"] if "operators.toml" in p]
    assert "与日志最后一次记载的不同" in problem and "把自己写成了镇管理员" in problem
    text = run_cli("audit", "verify", data_dir=data).output
    assert "operators.toml" in text and "Traceback" not in text


def test_a_change_through_kbtui_afterwards_does_not_hide_the_hand_edit(empty_workspace_dir):
    data = with_cadre(empty_workspace_dir)
    make_admin_by_hand(data)
    # now 镇管理员 in the file, lisi changes operators through kbtui: the file's digest is journaled again
    assert run_cli("operators", "add", "zhaoliu", "--role", "村干部", "--name", "赵六", "--village", "高峰村",
                   data_dir=data, operator="lisi").exit_code == 0
    code, report = verify(data)
    assert code == 1
    [problem] = [p for p in report["problems"] if "operators.toml" in p]
    assert "之前被不经 kbtui 改动过" in problem and "lisi 修改操作员" in problem


def test_a_deleted_operators_file_recreated_on_opening_is_reported(empty_workspace_dir):
    data = with_cadre(empty_workspace_dir)
    (data / "operators.toml").unlink()
    code, report = verify(data)          # (opening recreates it with the folder's owner as 镇管理员)
    assert code == 1 and any("operators.toml" in p for p in report["problems"]), report


def test_the_first_operators_are_journaled_with_the_file(empty_workspace_dir):
    code, report = verify(empty_workspace_dir)
    assert code == 0 and report["entries"] == len(operators.load_operators(empty_workspace_dir))
    log = json.loads(run_cli("audit", "log", "--json", data_dir=empty_workspace_dir).stdout)
    assert {e["action"] for e in log["entries"]} == {"operators.add"}
