"""Backups: dated compressed copies kept N deep, consistent while others write, restored into an empty
folder only, verified (files, journal chain, number of children), and equal to the original."""
from __future__ import annotations

import collections
import json
import os
import tarfile
import threading
from pathlib import Path

import pytest

from kbtui.services.access import backup
from kbtui.services.access.backup_archive import BackupError, list_backups
from kbtui.services.workspace import Workspace
from kbtui.store import ChildStore, Journal, layout
from tests.conftest import run_cli


def tree(root: Path) -> dict[str, bytes]:
    """Every file of a data folder except backups and lock files, by relative path."""
    found = {}
    for here, _dirs, names in os.walk(root):
        rel_here = Path(here).relative_to(root)
        if rel_here.parts[:1] == ("backups",):
            continue
        for name in names:
            if not name.endswith(".lock"):
                found[str(rel_here / name)] = (Path(here) / name).read_bytes()
    return found


def test_backup_then_restore_equals_the_original(tui_data, tmp_path):
    (tui_data / "attachments" / "证明.txt").write_text("在读证明", encoding="utf-8")
    original = tree(tui_data)
    made = run_cli("backup", "--json", data_dir=tui_data)
    assert made.exit_code == 0, made.output
    info = json.loads(made.output)
    archive = Path(info["file"])
    assert archive.parent == tui_data / "backups" and archive.name.endswith(".tar.gz")
    assert archive.stat().st_mode & 0o777 == 0o600
    assert info["children"] == len(ChildStore.open(tui_data))
    target = tmp_path / "restored"
    restored = run_cli("restore", str(archive), "--into", str(target), "--json", data_dir=tui_data)
    assert restored.exit_code == 0, restored.output
    report = json.loads(restored.output)
    assert report["children"] == info["children"] and report["journal_entries"] == info["journal_entries"]
    copy = tree(target)
    # the journal of the original has one more entry: the backup itself, written after the copy
    journal = str(layout.journal_path(Path(".")))
    assert original.keys() == copy.keys()
    assert {k: v for k, v in original.items() if k != journal} == {k: v for k, v in copy.items() if k != journal}
    assert original[journal] == copy[journal]
    assert Journal(layout.journal_path(target)).verify()[0]
    assert (target / "backups").is_dir()
    assert (target / "attachments" / "证明.txt").read_text(encoding="utf-8") == "在读证明"
    assert target.stat().st_mode & 0o777 == 0o700
    assert all((target / rel).stat().st_mode & 0o777 == 0o600 for rel in copy)
    # the restored folder opens as a workspace
    assert len(Workspace.open(target, "tester").store) == info["children"]


def test_only_the_last_n_backups_are_kept(tui_data):
    ws = Workspace.open(tui_data, "tester")
    made = [backup.create_backup(ws, keep=3) for _ in range(5)]
    kept = list_backups(tui_data)
    assert kept == [m.path for m in made[-3:]]
    assert made[2].removed == [] and made[3].removed == [made[0].path] and made[4].removed == [made[1].path]
    assert len({p.name for p in kept}) == 3


def test_restore_refuses_a_folder_with_data_and_a_tampered_backup(tui_data, tmp_path):
    info = backup.create_backup(Workspace.open(tui_data, "tester"))
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("x")
    refused = run_cli("restore", str(info.path), "--into", str(busy), data_dir=tui_data)
    assert refused.exit_code == 1 and "不是空目录" in refused.output
    # a backup whose children file was changed after the fact
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(info.path, "r:gz") as src, tarfile.open(bad, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read() if member.isfile() else None
            if member.isfile() and member.name.startswith("data/store/children/") and data:
                data = data.replace(b'"name":"', b'"name":"X', 1)
                member.size = len(data)
            dst.addfile(member, __import__("io").BytesIO(data) if data is not None else None)
    result = run_cli("restore", str(bad), "--into", str(tmp_path / "r"), data_dir=tui_data)
    assert result.exit_code == 1 and "校验值不符" in result.output
    assert not (tmp_path / "r").exists()
    assert not [p for p in tmp_path.iterdir() if ".restoring-" in p.name]


def test_restore_needs_a_role_allowed_to_back_up(scoped, tmp_path):
    info = backup.create_backup(Workspace.open(scoped, "tester"))
    refused = run_cli("restore", str(info.path), "--into", str(tmp_path / "r"), operator="cadre")
    assert refused.exit_code == 1 and "不能恢复备份" in refused.output
    assert not (tmp_path / "r").exists()
    assert run_cli("backup", data_dir=scoped, operator="cadre").exit_code == 1


def test_a_backup_taken_while_another_operator_writes_is_consistent(tui_data, tmp_path):
    writer = Workspace.open(tui_data, "tester")
    ids = writer.raw_store.ids()[:40]
    stop = threading.Event()

    def edit():
        n = 0
        while not stop.is_set():
            writer.raw_store.update(ids[n % len(ids)], {"note": f"第{n}次"}, "tester")
            n += 1

    thread = threading.Thread(target=edit)
    thread.start()
    try:
        infos = [backup.create_backup(Workspace.open(tui_data, "tester"), keep=10) for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    for n, info in enumerate(infos):
        target = tmp_path / f"r{n}"
        backup.restore_backup(info.path, target, "tester")
        store = ChildStore.open(target)
        entries = collections.Counter(e["record"] for e in Journal(layout.journal_path(target)).entries()
                                      if e.get("record") in store)
        # every record's version equals the number of journal entries about it: no half-copied write
        assert all(store.get(i)["_v"] == entries[i] for i in ids)


def test_an_unexpected_member_is_refused(tui_data, tmp_path):
    info = backup.create_backup(Workspace.open(tui_data, "tester"))
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(info.path, "r:gz") as src, tarfile.open(evil, "w:gz") as dst:
        for member in src:
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        link = tarfile.TarInfo("data/../../escape")
        link.size = 0
        dst.addfile(link, __import__("io").BytesIO(b""))
    with pytest.raises(BackupError, match="不安全"):
        backup.restore_backup(evil, tmp_path / "r", "tester")
    assert not (tmp_path / "escape").exists()
