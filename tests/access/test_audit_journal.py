"""The journal's hash chain through ``kbtui audit``: verified, then broken on purpose and reported at the
right entry (number, time, operator); ``audit log`` filters by child and operator."""
from __future__ import annotations

import json

import orjson

from kbtui.services.access import audit
from kbtui.services.workspace import Workspace
from kbtui.store import layout
from tests.conftest import run_cli
from tests.helpers.access import inside_and_outside


def _lines(data):
    return layout.journal_path(data).read_bytes().splitlines(keepends=True)


def test_the_chain_verifies_then_a_changed_entry_is_reported_where_it_is(scoped):
    ws = Workspace.open(scoped, "cadre")
    inside, _ = inside_and_outside(Workspace.open(scoped, "tester"), "cadre")
    ws.store.update(inside["id_number"], {"note": "第一次"}, "cadre")
    ws.store.update(inside["id_number"], {"note": "第二次"}, "cadre")
    ok = run_cli("audit", "verify", "--json", data_dir=scoped, operator="tester")
    assert ok.exit_code == 0 and json.loads(ok.output)["ok"] is True
    total = json.loads(ok.output)["entries"]
    assert "校验通过" in run_cli("audit", "verify", data_dir=scoped, operator="tester").output

    # someone edits the first of the cadre's two entries by hand: the note, quietly
    lines = _lines(scoped)
    target = next(n for n, line in enumerate(lines) if b"\xe7\xac\xac\xe4\xb8\x80\xe6\xac\xa1" in line)
    entry = orjson.loads(lines[target])
    entry["changes"]["note"][1] = "改过的"
    lines[target] = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS) + b"\n"
    layout.journal_path(scoped).write_bytes(b"".join(lines))

    broken = run_cli("audit", "verify", "--json", data_dir=scoped, operator="tester")
    assert broken.exit_code == 1
    report = json.loads(broken.output)
    assert report["ok"] is False and report["seq"] == entry["seq"] == target + 1
    assert report["operator"] == "cadre" and report["ts"] == entry["ts"]
    text = run_cli("audit", "verify", data_dir=scoped, operator="tester").output
    assert f"第 {entry['seq']} 条" in text and "cadre" in text and entry["ts"].replace("T", " ") in text
    assert report["entries"] == entry["seq"] - 1 < total


def test_a_deleted_entry_breaks_the_chain_at_the_next_one(scoped):
    lines = _lines(scoped)
    removed = orjson.loads(lines[4])
    layout.journal_path(scoped).write_bytes(b"".join(lines[:4] + lines[5:]))
    report = audit.verify(Workspace.open(scoped, "tester"))
    assert not report.ok and report.seq == removed["seq"]
    assert "缺失" in report.message


def test_audit_log_filters_by_child_and_operator(scoped):
    admin = Workspace.open(scoped, "tester")
    inside, _ = inside_and_outside(admin, "cadre")
    Workspace.open(scoped, "cadre").store.update(inside["id_number"], {"note": "记一笔"}, "cadre")
    by_child = json.loads(run_cli("audit", "log", "--child", inside["id_number"], "--json",
                                  data_dir=scoped, operator="tester").output)["entries"]
    assert by_child and all(e["record"] == inside["id_number"] for e in by_child)
    assert by_child[-1]["operator"] == "cadre" and by_child[-1]["changes"]["note"][1] == "记一笔"
    by_operator = json.loads(run_cli("audit", "log", "--operator", "cadre", "--json",
                                     data_dir=scoped, operator="tester").output)["entries"]
    assert [e["record"] for e in by_operator] == [inside["id_number"]]
    plain = run_cli("audit", "log", "--operator", "cadre", data_dir=scoped, operator="sup").output
    assert "记一笔" in plain and "共 1 条" in plain
