"""Issue 19, point 5: tampering that ``audit verify`` used to miss, each attack reproduced on a demo folder.

The journal is signed (HMAC with the key ``journal/journal.key``) and anchored (``journal/journal.head``), and
every village and collection file is compared with what the journal says: cutting lines off the journal,
emptying or deleting it, editing the anchor, and editing a village file (a status, a phone, ten children
deleted, a child added or moved) all fail verification with a Chinese message saying what and where. An
untouched folder still verifies after imports, visits, backups and restores.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import orjson
import pytest

from kbtui.errors import StoreError
from kbtui.services.access import backup
from kbtui.services.access.operators import load_operators
from kbtui.services.workspace import Workspace
from kbtui.store import ChildStore, layout, signing
from kbtui.store.journal import make_entry
from kbtui.tui.screens.audit import AuditScreen
from tests.conftest import run_cli
from tests.helpers.imports import messy_police
from tests.helpers.tui import make_app, run_async, settle


def verify(data: Path, operator: str = "tester") -> tuple[int, dict, str]:
    as_json = run_cli("audit", "verify", "--json", data_dir=data, operator=operator)
    text = run_cli("audit", "verify", data_dir=data, operator=operator)
    assert "Traceback" not in text.output
    return as_json.exit_code, json.loads(as_json.output), text.output


def journal(data: Path) -> Path:
    return layout.journal_path(data)


def village_files(data: Path) -> list[Path]:
    return sorted(p for p in layout.children_dir(data).glob("*.json") if not p.name.startswith("."))


def edit_file(path: Path, change) -> None:
    data = orjson.loads(path.read_bytes())
    change(data["_default"])
    path.write_bytes(orjson.dumps(data))


def first_child(path: Path) -> dict:
    return next(iter(orjson.loads(path.read_bytes())["_default"].values()))


# --------------------------------------------------------------------------- untouched folders verify

def test_an_untouched_folder_verifies_after_imports_visits_backups_and_restores(tui_data, tmp_path):
    code, report, text = verify(tui_data)
    assert code == 0 and report["ok"], text
    assert "校验通过" in text and "签名和锚点相符" in text
    assert report["children"] == len(ChildStore.open(tui_data)) and report["files"] > 8 and report["documents"] > 0
    # a list imported twice (the second time changes nothing), visits, a backup, an import after it
    listing = messy_police(tmp_path / "户籍.xlsx")
    assert run_cli("import", "police", str(listing), data_dir=tui_data).exit_code == 0
    assert run_cli("import", "police", str(listing), data_dir=tui_data).exit_code == 0
    child = next(ChildStore.open(tui_data).all())["id_number"]
    for status in ("疑似辍学", "在籍在校"):
        assert run_cli("visit", child, "--status", status, data_dir=tui_data).exit_code == 0
    made = json.loads(run_cli("backup", "--json", data_dir=tui_data).output)
    assert run_cli("visit", child, "--status", "外地就读", "--school", "重庆市第一中学",
                   data_dir=tui_data).exit_code == 0
    code, report, text = verify(tui_data)
    assert code == 0, text
    restored = tmp_path / "restored"
    result = run_cli("restore", made["file"], "--into", str(restored), data_dir=tui_data)
    assert result.exit_code == 0 and "签名相符" in result.output, result.output
    code, report, text = verify(restored)
    assert code == 0 and report["entries"] == made["journal_entries"], text
    # the restored folder keeps the key of its origin and goes on signing with it
    assert (restored / "journal" / "journal.key").read_bytes() == (tui_data / "journal" / "journal.key").read_bytes()
    assert run_cli("visit", child, "--status", "疑似辍学", data_dir=restored).exit_code == 0
    assert verify(restored)[0] == 0


def test_the_key_is_private_and_never_in_a_backup(tui_data):
    key = tui_data / "journal" / "journal.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_uid == os.geteuid()
    assert stat.S_IMODE((tui_data / "journal" / "journal.head").stat().st_mode) == 0o600
    info = backup.create_backup(Workspace.open(tui_data, "tester"))
    assert "journal/journal.key" not in info.manifest["files"] and "journal/journal.head" in info.manifest["files"]
    assert info.manifest["key"] == signing.key_id(bytes.fromhex(key.read_text()))


def test_a_new_folder_has_its_key_from_the_first_open(tmp_path):
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=tmp_path / "d").exit_code == 0
    assert (tmp_path / "d" / "journal" / "journal.key").exists()
    head = signing.parse_head(tmp_path / "x", (tmp_path / "d" / "journal" / "journal.head").read_bytes())
    first = len(load_operators(tmp_path / "d"))     # one entry per first operator: operators.toml journaled
    assert head.seq == first                         # with its digest (test_operators_digest)
    code, report, text = verify(tmp_path / "d")
    assert code == 0 and report["entries"] == first, text


# --------------------------------------------------------------------------- the journal attacked

def test_cutting_the_last_lines_off_is_found(tui_data):
    lines = journal(tui_data).read_bytes().splitlines(keepends=True)
    journal(tui_data).write_bytes(b"".join(lines[:-3]))
    code, report, text = verify(tui_data)
    assert code == 1 and not report["ok"]
    assert f"日志只有 {len(lines) - 3} 条，锚点记载至少应有 {len(lines)} 条：日志末尾的 3 条被删除了" in text
    assert report["seq"] == len(lines) - 2


def test_cutting_lines_off_inside_one_write_is_found_without_the_anchor(tui_data):
    """A batch (an import's updates, one line each) is signed on its last line: the lines left of a batch cut
    short carry no signature, whatever the anchor says."""
    data = tui_data
    store = Workspace.open(data, "tester").raw_store
    ids = store.ids()[:5]
    store.apply_many([(i, {"note": f"批量{n}"}) for n, i in enumerate(ids)], "tester")
    lines = journal(data).read_bytes().splitlines(keepends=True)
    journal(data).write_bytes(b"".join(lines[:-2]))
    (data / "journal" / "journal.head").unlink()
    code, report, text = verify(data)
    assert code == 1
    assert "锚点文件" in text and "不见了" in text
    lines = lines[:-2]
    start = len(lines) - 3
    # with the anchor put back as it was before that write, the unsigned lines still give it away
    store2 = ChildStore.open(tui_data)
    key = store2.journal.key.load()
    prev = orjson.loads(lines[start - 1])
    signing.write_head(data / "journal" / "journal.head", signing.make_head(key, prev["seq"], prev["hash"]))
    code, report, text = verify(data)
    assert code == 1 and "没有签名" in text and f"第 {start + 1}–{len(lines)} 条" in text


@pytest.mark.parametrize("how", ["empty", "delete"])
def test_an_emptied_or_deleted_journal_is_found(tui_data, how):
    total = len(journal(tui_data).read_bytes().splitlines())
    if how == "empty":
        journal(tui_data).write_bytes(b"")
    else:
        journal(tui_data).unlink()
    code, report, text = verify(tui_data)
    assert code == 1 and report["entries"] == 0
    assert (f"被清空了，锚点记载它应有 {total} 条" if how == "empty" else f"不见了，锚点记载它应有 {total} 条") in text
    # and the store no longer matches: every child is in a file but in no journal entry
    assert "在日志中没有任何记载" in text and "store/children/" in text


def test_a_whole_journal_deleted_with_its_anchor_and_key_is_found_by_the_store_and_the_backups(tui_data):
    backup.create_backup(Workspace.open(tui_data, "tester"))
    for name in ("journal.jsonl", "journal.head", "journal.key"):
        (tui_data / "journal" / name).unlink()
    code, report, text = verify(tui_data)
    assert code == 1
    assert "在日志中没有任何记载" in text
    assert "现在只有 0 条：日志末尾被删除了" in text        # the backup recorded the journal's head


def test_an_edited_anchor_is_found(tui_data):
    head_file = tui_data / "journal" / "journal.head"
    head = json.loads(head_file.read_bytes())
    head["seq"] -= 3
    head_file.write_text(json.dumps(head))
    code, report, text = verify(tui_data)
    assert code == 1 and f"锚点文件 {head_file} 的签名与密钥不符：它被改动过" in text
    head_file.write_text("不是锚点")
    code, report, text = verify(tui_data)
    assert code == 1 and "锚点文件" in text and "已损坏或被改动" in text


def test_an_anchor_put_back_with_the_journal_cut_back_to_it_is_found_by_the_village_files(tui_data):
    """An older anchor copied aside, the journal cut back to it: the anchor verifies, but a village file
    written since names a transaction the journal no longer has, and its children differ."""
    head_file = tui_data / "journal" / "journal.head"
    old_head, old_size = head_file.read_bytes(), journal(tui_data).stat().st_size
    child = next(ChildStore.open(tui_data).all())
    assert run_cli("visit", child["id_number"], "--status", "疑似辍学", data_dir=tui_data).exit_code == 0
    with open(journal(tui_data), "r+b") as fh:
        fh.truncate(old_size)
    head_file.write_bytes(old_head)
    code, report, text = verify(tui_data)
    assert code == 1 and report["message"] == ""          # the journal itself looks whole
    assert "的最后一次写入在日志中没有记载" in text
    assert f"身份证号 {child['id_number']}" in text and "核实情况" in text


def test_a_line_added_without_the_key_is_found(tui_data):
    """Somebody who can write the journal but not read the key appends an entry with a correct chain."""
    import hashlib

    lines = journal(tui_data).read_bytes().splitlines(keepends=True)
    last = orjson.loads(lines[-1])
    forged = make_entry("tester", "update", "500224201501010011", {"status": ["疑似辍学", "在籍在校"]})
    forged.update(seq=last["seq"] + 1, prev=last["hash"])
    body = orjson.dumps(forged, option=orjson.OPT_SORT_KEYS)
    line = body[:-1] + b',"hash":"%s"}\n' % hashlib.sha256(body).hexdigest().encode()
    journal(tui_data).write_bytes(b"".join(lines) + line)
    code, report, text = verify(tui_data)
    assert code == 1 and f"日志第 {last['seq'] + 1} 条没有签名" in text
    # with a signature made up: wrong for the key
    fake = line[:-2] + b',"mac":"%s"}\n' % (b"0" * 64)
    journal(tui_data).write_bytes(b"".join(lines) + fake)
    code, report, text = verify(tui_data)
    assert code == 1 and f"第 {last['seq'] + 1} 条" in text and "签名与密钥不符" in text


# --------------------------------------------------------------------------- the store attacked

def test_a_status_edited_in_a_village_file_is_found(tui_data):
    path = village_files(tui_data)[1]
    child = first_child(path)
    other = "已死亡" if child.get("status") != "已死亡" else "在籍在校"
    edit_file(path, lambda t: next(iter(t.values())).update(status=other))
    code, report, text = verify(tui_data)
    assert code == 1 and report["message"] == ""
    rel = f"store/children/{path.name}"
    assert (f"{rel}：1 名儿童与日志最后一次记载的不同：身份证号 {child['id_number']}（{child['name']}）："
            "核实情况不同") in text
    assert "数据文件与日志不符" in text


def test_a_phone_edited_in_a_village_file_is_found(tui_data):
    path = village_files(tui_data)[2]
    child = first_child(path)
    edit_file(path, lambda t: next(iter(t.values())).update(guardian_phone="13900001111"))
    code, report, text = verify(tui_data)
    assert code == 1 and f"身份证号 {child['id_number']}（{child['name']}）：联系电话不同" in text


def test_ten_children_deleted_from_a_village_file_are_found(tui_data):
    path = village_files(tui_data)[3]
    gone = [r["id_number"] for r in list(orjson.loads(path.read_bytes())["_default"].values())[:10]]
    edit_file(path, lambda t: [t.pop(k) for k in list(t)[:10]])
    code, report, text = verify(tui_data)
    assert code == 1 and f"store/children/{path.name}：缺少日志中记载的 10 名儿童（被从文件中删除了）" in text
    assert f"身份证号 {gone[0]}" in text


def test_a_child_added_or_moved_by_hand_is_found(tui_data):
    first, second = village_files(tui_data)[:2]
    child = first_child(first)
    stranger = {**child, "id_number": "500224201001010000", "name": "凭空出现"}
    edit_file(second, lambda t: t.update({"99999": stranger}))
    code, report, text = verify(tui_data)
    assert code == 1 and f"store/children/{second.name}：有 1 名儿童在日志中没有任何记载" in text and "凭空出现" in text
    # a child moved from one village file to another without a journal entry
    edit_file(second, lambda t: t.pop("99999"))
    edit_file(first, lambda t: t.pop(next(k for k, r in t.items() if r["id_number"] == child["id_number"])))
    edit_file(second, lambda t: t.update({"99999": child}))
    code, report, text = verify(tui_data)
    assert code == 1 and f"store/children/{second.name}：有 1 名儿童按日志应在 store/children/{first.name} 中" in text


def test_a_village_file_deleted_or_broken_is_found(tui_data):
    path = village_files(tui_data)[0]
    count = len(orjson.loads(path.read_bytes())["_default"])
    path.unlink()
    code, report, text = verify(tui_data)
    assert code == 1 and f"store/children/{path.name}：缺少日志中记载的 {count} 名儿童" in text


def test_a_collection_record_edited_by_hand_is_found(tui_data):
    path = sorted((layout.collections_dir(tui_data) / "tasks").glob("*.json"))[0]    # one file per village
    data = orjson.loads(path.read_bytes())
    doc = next(iter(data["_default"].values()))
    doc["due"] = "2099-01-01"
    path.write_bytes(orjson.dumps(data))
    code, report, text = verify(tui_data)
    assert code == 1
    assert f"store/collections/tasks/{path.name}：1 条记录与日志最后一次记载的不同：编号 {doc['key']}" in text


def test_a_cadre_sees_where_but_not_whose_records(scoped):
    path = village_files(scoped)[2]
    child = first_child(path)
    edit_file(path, lambda t: next(iter(t.values())).update(guardian_phone="13900001111"))
    code, report, text = verify(scoped, operator="cadre")
    assert code == 1 and f"store/children/{path.name}：1 名儿童与日志最后一次记载的不同" in text
    assert child["id_number"] not in text and child["name"] not in text
    code, report, text = verify(scoped, operator="sup")          # 督导 reads the journal, numbers masked
    assert code == 1 and child["id_number"] not in text and child["id_number"][-4:] in text


# --------------------------------------------------------------------------- the key

def test_a_lost_key_stops_writes_until_the_admin_makes_a_new_one(tui_data):
    child = next(ChildStore.open(tui_data).all())["id_number"]
    old_key = signing.key_id(bytes.fromhex((tui_data / "journal" / "journal.key").read_text()))
    (tui_data / "journal" / "journal.key").unlink()
    code, report, text = verify(tui_data)
    assert code == 1 and "日志签名密钥" in text and "不见了" in text and "kbtui audit rekey" in text
    refused = run_cli("visit", child, "--status", "疑似辍学", data_dir=tui_data)
    assert refused.exit_code == 1 and "不见了" in refused.output and "Traceback" not in refused.output
    assert run_cli("audit", "rekey", "--yes", data_dir=tui_data, operator="tester").exit_code == 0
    assert run_cli("visit", child, "--status", "疑似辍学", data_dir=tui_data).exit_code == 0
    code, report, text = verify(tui_data)
    assert code == 0, text
    assert any("换用新密钥" in n and "只能按哈希链校验" in n for n in report["notes"]) and "注意：" in text
    entry = [e for e in ChildStore.open(tui_data).journal.entries() if e["action"] == "journal.key"][-1]
    assert entry["operator"] == "tester" and entry["detail"]["kind"] == "rekey"
    assert entry["detail"]["previous_key"] == old_key          # (taken from the anchor it signed)


def test_only_the_town_admin_may_make_a_new_key(scoped):
    refused = run_cli("audit", "rekey", "--yes", data_dir=scoped, operator="edu")
    assert refused.exit_code == 1 and "不能更换日志密钥" in refused.output


def test_a_key_others_can_read_is_refused(tui_data):
    key = tui_data / "journal" / "journal.key"
    os.chmod(key, 0o644)
    code, report, text = verify(tui_data)
    assert code == 1 and "权限为 0644" in text and "chmod 600" in text


def test_a_key_owned_by_another_user_is_refused(tui_data, monkeypatch):
    monkeypatch.setattr(signing.os, "geteuid", lambda: os.stat(tui_data).st_uid + 4242)
    with pytest.raises(StoreError, match="不属于运行 kbtui 的用户"):
        signing.JournalKey(tui_data / "journal" / "journal.key").load()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: a data folder owned by another user")
def test_root_creates_the_key_for_the_folder_owner(tmp_path):
    folder = tmp_path / "d"
    (folder / "journal").mkdir(parents=True)
    os.chown(folder, 4242, 4242)
    os.chown(folder / "journal", 4242, 4242)
    ChildStore.open(folder)
    key = folder / "journal" / "journal.key"
    assert key.stat().st_uid == 4242 and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_journal_written_before_signing_starts_being_signed_at_its_next_write(tui_data):
    """Old data folders: the journal has no signatures, no key, no anchor. Verification says so; the next
    write creates the key and journals that signing starts there."""
    path = journal(tui_data)
    lines = path.read_bytes().splitlines(keepends=True)
    # a signed line ends with ,"hash":"…","mac":"…"} and the signature is not part of the hash: drop it
    path.write_bytes(b"".join(line[:-76] + line[-3:] if b'","mac":"' in line[-80:] else line for line in lines))
    assert b'"mac"' not in path.read_bytes()[-2000:]
    (tui_data / "journal" / "journal.key").unlink()
    (tui_data / "journal" / "journal.head").unlink()
    code, report, text = verify(tui_data)
    assert code == 0 and any("尚未签名" in n for n in report["notes"]), text
    assert report["signed"] is False and "签名和锚点相符" not in text
    child = next(ChildStore.open(tui_data).all())["id_number"]
    assert run_cli("visit", child, "--status", "疑似辍学", data_dir=tui_data).exit_code == 0
    code, report, text = verify(tui_data)
    assert code == 0 and any(f"自第 {len(lines) + 1} 条" in n and "签名" in n for n in report["notes"]), text


@run_async
async def test_the_journal_screen_reports_a_village_file_edited_by_hand(tui_data):
    """Ctrl+V on the 修改日志 screen runs the same verification and shows which file is wrong."""
    path = village_files(tui_data)[1]
    edit_file(path, lambda t: next(iter(t.values())).update(guardian_phone="13900001111"))
    app = make_app(tui_data, start="audit", operator="tester")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+v")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen) and not screen.last_report.ok
        assert any(path.name in p and "联系电话" in p for p in screen.last_report.problems)
        assert "数据文件与日志不符" in str(screen.query_one("#audit-status").render())
