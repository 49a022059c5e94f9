"""Every writing command on a full disk or into a folder it may not write to (issue 19, point 7).

An export to an unwritable path printed a Python traceback (``ExcelWriteError`` was not handled), a full
disk gave several (openpyxl's half-written zip was written again by the garbage collector) and a backup
said "No space left on device". Now each command prints one Chinese message saying what could not be
written, where and why (磁盘已满, 没有写权限 …), exits 1 and leaves no partial file behind.

The full disk is real where the tests may mount (root: a small tmpfs, filled up); elsewhere the save is
made to fail with ENOSPC. The unwritable folder is real too: as root, the command runs without the
capability that lets root write anywhere (``setpriv``); as another user, the folder is simply 0555.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kbtui.excel import saving
from kbtui.services.escalation import cases
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SETPRIV = shutil.which("setpriv")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("writes") / "data"
    result = run_cli("demo", "--no-tui", "--seed", "5", "--children", "200", data_dir=data)
    assert result.exit_code == 0, result.output
    ws = Workspace.open(data, "tester")
    kid = sorted(ws.store.ids())[3]
    cases.open_case(ws, kid, on="2024-09-05", reason="学习困难/厌学")
    assert run_cli("spotcheck", "draw", "--seed", "3", data_dir=data).exit_code == 0
    assert run_cli("backup", data_dir=data).exit_code == 0
    return data


@pytest.fixture
def data(demo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(demo, target)
    return target


def _mount_tmpfs(folder: Path, kilobytes: int) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if not IS_ROOT:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kilobytes}k", "tmpfs", str(folder)],
                          capture_output=True)
    return done.returncode == 0


def _fill(folder: Path) -> None:
    """Write zeros until the disk is full."""
    with open(folder / ".fill", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError as err:
            assert err.errno == errno.ENOSPC


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch):
    """A folder on a full disk: a real tmpfs filled to the last few KB when we may mount, else a folder
    where saving a workbook fails with ENOSPC. Yields (folder, make(data) → a data folder on that disk)."""
    folder = tmp_path / "full"
    real = _mount_tmpfs(folder, 8192)
    if not real:
        def no_space(wb, filename):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), filename)
        monkeypatch.setattr(saving, "_save", no_space)

    def make(source: Path | None = None) -> Path:
        target = folder / "data"
        if source is not None:
            shutil.copytree(source, target)
        if real:
            _fill(folder)
        return target

    yield folder, make, real
    if real:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} - {".fill"}


def assert_one_message(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "No space" not in result.output, result.output
    assert result.output.count("错误：") == 1, result.output
    for word in words:
        assert word in result.output, (word, result.output)


def case_key(data: Path) -> str:
    return cases.all_cases(Workspace.open(data, "tester"))[0]["key"]


EXPORTS = {
    "ledger": lambda out, data: ["ledger", "export", "in-school-local", "-o", str(out / "台账.xlsx")],
    "report": lambda out, data: ["report", "export", "statistics", "-o", str(out / "统计表.xlsx")],
    "spotcheck": lambda out, data: ["spotcheck", "list", "-o", str(out / "督查名单.xlsx")],
    "case-record": lambda out, data: ["case", "record", case_key(data), "-o", str(out / "劝返.xlsx")],
    # (--force: the case has no persuasion recorded, which the document would otherwise refuse first)
    "document-xlsx": lambda out, data: ["escalation", "document", case_key(data), "order", "--force", "-o",
                                        str(out / "通知书.xlsx")],
    "document-txt": lambda out, data: ["escalation", "document", case_key(data), "order", "--force", "-o",
                                       str(out / "通知书.txt")],
}


@pytest.mark.parametrize("what", EXPORTS)
def test_an_export_to_a_full_disk(data, full_disk, what):
    folder, make, real = full_disk
    make()
    if what == "document-txt" and not real:
        pytest.skip("a text document is not a workbook: only a real full disk stops it")
    before = files_in(folder)
    result = run_cli(*EXPORTS[what](folder, data), data_dir=data)
    assert_one_message(result, "磁盘已满", str(folder))
    assert files_in(folder) == before                     # no partial file, no temporary file


def test_the_data_folder_on_a_full_disk(demo, full_disk):
    folder, make, real = full_disk
    if not real:
        pytest.skip("needs a real full disk (root and tmpfs)")
    data = make(demo)
    before = files_in(folder)
    for args in (["backup"], ["ledger", "export", "in-school-local"],
                 ["evidence", sorted(Workspace.open(data, "tester").store.ids())[0], f"照片={__file__}"]):
        result = run_cli(*args, data_dir=data)
        assert_one_message(result, "磁盘已满", str(data))
        assert files_in(folder) == before, args


def test_creating_a_data_folder_on_a_full_disk(demo, full_disk):
    folder, make, real = full_disk
    if not real:
        pytest.skip("needs a real full disk (root and tmpfs)")
    make()
    backup = next((demo / "backups").glob("*.tar.gz"))
    for args, target in ((["init", "--profile", "shuangshan-2024"], folder / "新目录"),
                         (["demo", "--no-tui", "--children", "300"], folder / "演示"),
                         (["restore", str(backup), "--into", str(folder / "恢复")], None)):
        result = run_cli(*args, data_dir=target)
        assert_one_message(result, "磁盘已满", str(folder))
        assert files_in(folder) == set(), (args, files_in(folder))    # no half-made folder either


def _unwritable(tmp_path: Path) -> Path:
    folder = tmp_path / "只读"
    folder.mkdir()
    (folder / "已有.txt").write_text("x")
    folder.chmod(0o555)
    return folder


def _as_operator(data: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI in a subprocess that may not write where the folder's permissions say no (as root: without
    the capability to override them)."""
    command = [sys.executable, "-m", "kbtui", "--data-dir", str(data), "--operator", "tester", *args]
    if IS_ROOT:
        command = [SETPRIV, "--inh-caps=-dac_override,-dac_read_search",
                   "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(IS_ROOT and not SETPRIV, reason="as root, needs setpriv to drop CAP_DAC_OVERRIDE")
@pytest.mark.parametrize("what", ["ledger", "report", "case-record", "document-txt"])
def test_an_export_into_a_folder_without_write_permission(data, tmp_path, what):
    folder = _unwritable(tmp_path)
    try:
        proc = _as_operator(data, *EXPORTS[what](folder, data))
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.count("错误：") == 1, proc.stderr
        assert "没有写权限" in proc.stderr and str(folder) in proc.stderr, proc.stderr
        assert files_in(folder) == {"已有.txt"}
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(IS_ROOT and not SETPRIV, reason="as root, needs setpriv to drop CAP_DAC_OVERRIDE")
def test_init_into_a_folder_without_write_permission(tmp_path):
    folder = _unwritable(tmp_path)
    try:
        proc = _as_operator(folder / "数据", "init", "--profile", "shuangshan-2024")
        assert proc.returncode == 1 and "没有写权限" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert files_in(folder) == {"已有.txt"}
    finally:
        folder.chmod(0o755)


def test_a_path_through_a_file(data, tmp_path):
    blocker = tmp_path / "文件"
    blocker.write_text("x")
    result = run_cli("ledger", "export", "in-school-local", "-o", str(blocker / "台账.xlsx"), data_dir=data)
    assert_one_message(result, f"“{blocker}”是文件，不是文件夹")


def test_an_unexpected_os_error_is_still_one_message(data, monkeypatch):
    """Where no service said more, the CLI names the file and the reason itself."""
    from kbtui.services.access import backup

    def broken(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), "/srv/kbtui/backups")
    monkeypatch.setattr(backup, "_prune", broken)
    result = run_cli("backup", data_dir=data)
    assert_one_message(result, "/srv/kbtui/backups", "没有写权限")
