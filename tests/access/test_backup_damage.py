"""Issue 19, point 9 (backups): damaged and forged archives, killed backups and killed restores.

A truncated archive or one flipped byte anywhere (the gzip trailer included) is refused with a Chinese
message; a backup edited by someone without the journal's key is refused by the manifest's signature; a
backup killed while writing leaves a temp file that the next backup (and pruning) removes, never one a
running backup is writing; a restore killed while extracting leaves a private staging folder that the
next restore removes.
"""
from __future__ import annotations

import hashlib
import io
import json
import signal
import stat
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import orjson
import pytest

from kbtui.errors import StoreError
from kbtui.services.access import backup
from kbtui.services.access.backup_archive import MANIFEST
from kbtui.services.workspace import Workspace
from kbtui.store import storage
from tests.conftest import run_cli


@pytest.fixture
def archive(tui_data: Path) -> Path:
    return backup.create_backup(Workspace.open(tui_data, "tester")).path


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if ".restoring-" in p.name]


def restore(archive: Path, into: Path, data: Path, *extra: str):
    result = run_cli("restore", str(archive), "--into", str(into), *extra, data_dir=data)
    assert "Traceback" not in result.output and "Aborted" not in result.output, result.output
    return result


# --------------------------------------------------------------------------- damaged archives

def test_a_truncated_archive_is_called_incomplete(archive, tui_data, tmp_path):
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    result = restore(cut, tmp_path / "r", tui_data)
    assert result.exit_code == 1
    assert f"备份文件 {cut} 不完整" in result.output and "没有传完" in result.output
    assert not (tmp_path / "r").exists() and not leftovers(tmp_path)
    # cut just before the end: the manifest reads, the rest does not
    cut.write_bytes(archive.read_bytes()[:-3])
    result = restore(cut, tmp_path / "r", tui_data)
    assert result.exit_code == 1 and "不完整" in result.output
    assert not (tmp_path / "r").exists() and not leftovers(tmp_path)


@pytest.mark.parametrize("offset", [-1, -4, -5, -8], ids=["length", "length-high", "crc", "crc-low"])
def test_a_flipped_byte_in_the_gzip_trailer_is_found(archive, tui_data, tmp_path, offset):
    damaged = tmp_path / "damaged.tar.gz"
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0x01
    damaged.write_bytes(bytes(data))
    result = restore(damaged, tmp_path / "r", tui_data)
    assert result.exit_code == 1
    assert f"备份文件 {damaged} 已损坏：压缩数据的校验值不符" in result.output
    assert not (tmp_path / "r").exists() and not leftovers(tmp_path)


def _rebuild(source: Path, target: Path, change_manifest=None, change_file=None) -> None:
    """A copy of a backup with a file and/or the manifest changed (what somebody without the key can do)."""
    with tarfile.open(source, "r:gz") as src:
        members = [(m, src.extractfile(m).read() if m.isfile() else None) for m in src]
    manifest = orjson.loads(members[0][1])
    out = []
    for member, data in members[1:]:
        if data is not None and change_file is not None:
            new = change_file(member.name, data)
            if new != data:
                manifest["files"][member.name[len("data/"):]] = hashlib.sha256(new).hexdigest()
                data = new
        out.append((member, data))
    if change_manifest is not None:
        change_manifest(manifest)
    with tarfile.open(target, "w:gz") as dst:
        raw = orjson.dumps(manifest)
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(raw)
        dst.addfile(info, io.BytesIO(raw))
        for member, data in out:
            if data is not None:
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)


def test_a_backup_edited_and_its_checksums_recomputed_is_refused(archive, tui_data, tmp_path):
    forged = tmp_path / "forged.tar.gz"

    def rename_a_child(name: str, data: bytes) -> bytes:
        return data.replace(b'"name":"', b'"name":"X', 1) if name.startswith("data/store/children/") else data

    _rebuild(archive, forged, change_file=rename_a_child)
    inside = tui_data / "backups" / forged.name          # where the folder's key is found
    forged.rename(inside)
    result = restore(inside, tmp_path / "r", tui_data)
    assert result.exit_code == 1 and "备份清单的签名不符" in result.output and "被改动过" in result.output
    assert not (tmp_path / "r").exists() and not leftovers(tmp_path)
    # the signature taken off as well: the journal inside was signed, so was the manifest
    _rebuild(archive, inside, change_manifest=lambda m: (m.pop("mac"), m.pop("key")), change_file=rename_a_child)
    result = restore(inside, tmp_path / "r", tui_data)
    assert result.exit_code == 1 and "清单没有签名" in result.output


def test_a_backup_of_another_folder_needs_that_folders_key(archive, tui_data, tmp_path):
    other = tmp_path / "other"
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=other).exit_code == 0
    moved = tmp_path / "copy.tar.gz"
    moved.write_bytes(archive.read_bytes())
    result = restore(moved, tmp_path / "r", other)
    assert result.exit_code == 1 and "另一把日志密钥" in result.output and "--key" in result.output
    result = restore(moved, tmp_path / "r", other, "--key", str(tui_data / "journal" / "journal.key"))
    assert result.exit_code == 0 and "签名相符" in result.output, result.output
    assert run_cli("audit", "verify", data_dir=tmp_path / "r").exit_code == 0


def test_a_backup_signed_before_the_key_was_replaced_still_restores(archive, tui_data, tmp_path):
    """The key was lost and replaced (``audit rekey``): the folder's older backups are not locked out."""
    (tui_data / "journal" / "journal.key").unlink()
    assert run_cli("audit", "rekey", "--yes", data_dir=tui_data).exit_code == 0
    result = restore(archive, tmp_path / "r", tui_data, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["signed"] is False and any("更换前的日志密钥" in n for n in report["notes"])
    # one signed with a key this folder never had is still refused
    other = tmp_path / "other"
    assert run_cli("init", "--profile", "shuangshan-2024", data_dir=other).exit_code == 0
    foreign = backup.create_backup(Workspace.open(other, "tester")).path
    moved = tui_data / "backups" / "kbtui-backup-foreign.tar.gz"
    moved.write_bytes(foreign.read_bytes())
    result = restore(moved, tmp_path / "r2", tui_data)
    assert result.exit_code == 1 and "另一把日志密钥" in result.output


def test_without_any_key_a_backup_restores_on_its_checksums_and_says_so(archive, tmp_path):
    nowhere = tmp_path / "no-data"
    moved = tmp_path / "copy.tar.gz"
    moved.write_bytes(archive.read_bytes())
    result = restore(moved, tmp_path / "r", nowhere, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["signed"] is False and any("无法证明备份没有被改动过" in n for n in report["notes"])
    # the restored folder has no key: writes wait for the admin's new key
    assert run_cli("stats", data_dir=tmp_path / "r").exit_code == 0      # reading works
    verified = run_cli("audit", "verify", data_dir=tmp_path / "r")
    assert verified.exit_code == 1 and "kbtui audit rekey" in verified.output
    assert run_cli("audit", "rekey", "--yes", data_dir=tmp_path / "r").exit_code == 0
    assert run_cli("audit", "verify", data_dir=tmp_path / "r").exit_code == 0


# --------------------------------------------------------------------------- killed backups

KILLABLE_BACKUP = r"""
import sys
from kbtui.services.access import backup
from kbtui.services.workspace import Workspace
real = backup.write_archive
def write_archive(path, manifest, dirs, contents, now):
    with open(path, "wb") as fh:              # half an archive, as a kill in the middle leaves it
        fh.write(b"\x1f\x8b" + b"x" * 4096)
    print("writing", flush=True)
    if sys.stdin.readline().strip() == "go on":
        path.unlink()
        real(path, manifest, dirs, contents, now)
backup.write_archive = write_archive
info = backup.create_backup(Workspace.open(sys.argv[1], "tester"))
print("done", info.path, flush=True)
"""


def _start_backup(data: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE_BACKUP, str(data)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    return proc


def temps(data: Path) -> list[Path]:
    return [p for p in (data / "backups").iterdir() if p.name.startswith(".kbtui-backup-") and ".tmp-" in p.name]


def test_a_killed_backup_leaves_a_temp_file_the_next_backup_removes(tui_data):
    proc = _start_backup(tui_data)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(temps(tui_data)) == 1
    proc = _start_backup(tui_data)             # the next backup removes it before writing its own
    assert len(temps(tui_data)) == 1
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    made = run_cli("backup", "--keep", "3", data_dir=tui_data)
    assert made.exit_code == 0 and temps(tui_data) == []
    # pruning alone removes them too
    proc = _start_backup(tui_data)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert len(temps(tui_data)) == 1
    backup.prune(tui_data, 3)
    assert temps(tui_data) == []


def test_pruning_leaves_the_temp_file_of_a_running_backup_alone(tui_data, monkeypatch):
    proc = _start_backup(tui_data)
    try:
        monkeypatch.setattr(storage, "LOCK_TIMEOUT_S", 0.3)
        with pytest.raises(StoreError, match="正被其他操作员写入"):
            backup.prune(tui_data, 1)
        assert len(temps(tui_data)) == 1            # still being written: kept
        monkeypatch.undo()
        waiting = threading.Thread(target=backup.prune, args=(tui_data, 5))
        waiting.start()                             # waits for the running backup, then prunes
        proc.stdin.write("go on\n")
        proc.stdin.flush()
        out, _ = proc.communicate(timeout=60)
        waiting.join(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "done" in out
    made = Path(out.split("done", 1)[1].strip())
    assert made.exists() and temps(tui_data) == []
    backup.restore_backup(made, tui_data.parent / "r", "tester")


# --------------------------------------------------------------------------- killed restores

KILLABLE_RESTORE = r"""
import sys
from kbtui.services.access import backup_archive
real = backup_archive._write_private
written = []
def write_private(target, data):
    real(target, data)
    written.append(target)
    if len(written) == 5:
        print("extracting", target.parent, flush=True)
        sys.stdin.readline()                    # killed here
backup_archive._write_private = write_private
from kbtui.services.access import backup
backup.restore_backup(sys.argv[1], sys.argv[2], "tester")
"""


def _start_restore(archive: Path, into: Path) -> subprocess.Popen:
    """A real restore in another process, stopped once it has extracted five files."""
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE_RESTORE, str(archive), str(into)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("extracting")
    except BaseException:
        proc.kill()
        raise
    return proc


def test_a_killed_restore_leaves_a_private_folder_the_next_restore_removes(archive, tmp_path):
    parent = tmp_path / "restores"
    parent.mkdir()
    proc = _start_restore(archive, parent / "r1")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    left = leftovers(parent)
    assert len(left) == 1 and left[0].name.startswith(".r1.restoring-") and not (parent / "r1").exists()
    # what a killed restore leaves is private: 0700 folders, 0600 files
    assert all(stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600)
               for p in [left[0], *left[0].rglob("*")])
    assert sum(1 for p in left[0].rglob("*") if p.is_file()) == 5
    # the next restore (into another folder next to it) removes it
    report = backup.restore_backup(archive, parent / "r2", "tester")
    assert report.into == parent / "r2" and leftovers(parent) == []


def test_the_staging_folder_of_a_running_restore_is_left_alone(archive, tmp_path):
    parent = tmp_path / "restores"
    parent.mkdir()
    proc = _start_restore(archive, parent / "r1")
    try:
        backup.restore_backup(archive, parent / "r2", "tester")
        assert len(leftovers(parent)) == 1               # the running one's, still being filled
        proc.stdin.write("\n")
        proc.stdin.flush()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and (parent / "r1").is_dir() and leftovers(parent) == []


def test_a_failed_restore_removes_its_staging_folder(archive, tui_data, tmp_path):
    refused = run_cli("restore", str(archive), "--into", str(tmp_path / "r"), data_dir=tui_data, operator="nobody")
    assert refused.exit_code == 1 and not leftovers(tmp_path) and not (tmp_path / "r").exists()
