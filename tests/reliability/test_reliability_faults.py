"""A full disk or a read-only data folder: the write fails with a clear Chinese message, nothing changes.

Full disk is simulated in-process (``os.write`` raising ENOSPC); a read-only folder by making every call
that would create, open for writing, replace or remove a file under the data folder raise EROFS / EACCES
(tests run as root in CI, where chmod does not stop writes). A real ``chmod`` variant runs when not root.
"""
from __future__ import annotations

import builtins
import contextlib
import errno
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbtui.cli import cli
from kbtui.errors import StoreError
from kbtui.store import ChildStore
from tests.conftest import run_cli
from tests.helpers.imports import cid, police_rows, xlsx
from tests.helpers.reliability import assert_store_matches_journal

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def snapshot(root: Path) -> dict[str, str]:
    """Content hashes of the data (village files, collections, journal); lock files left out."""
    out = {}
    for folder in ("store", "journal"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and not path.name.endswith(".lock"):
                out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@contextlib.contextmanager
def full_disk(monkeypatch, only: str | None = None):
    """Every ``os.write`` (or only those to files whose path contains ``only``) fails with ENOSPC."""
    real = os.write

    def write(fd, data):
        if only is None or only in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    with monkeypatch.context() as m:
        m.setattr(os, "write", write)
        yield


@contextlib.contextmanager
def read_only(monkeypatch, root: Path, code: int = errno.EROFS):
    """The folder ``root`` behaves as read-only: EROFS (a read-only mount) or EACCES (no write permission:
    existing files open, nothing can be created, replaced or removed)."""
    base = str(root)
    inside = lambda p: str(os.fspath(p)).startswith(base)  # noqa: E731
    real_open, real_bopen = os.open, builtins.open

    def fail(p):
        raise OSError(code, os.strerror(code), str(p))

    def os_open(p, flags, *a, **kw):
        if isinstance(p, (str, bytes, os.PathLike)) and inside(p) and flags & _WRITE_FLAGS:
            if code == errno.EROFS or flags & os.O_CREAT and not os.path.exists(p):
                fail(p)
        return real_open(p, flags, *a, **kw)

    def b_open(f, mode="r", *a, **kw):
        if isinstance(f, (str, os.PathLike)) and inside(f) and any(c in mode for c in "wax+"):
            fail(f)
        return real_bopen(f, mode, *a, **kw)

    def guarded(real):
        def call(p, *a, **kw):
            if inside(p):
                fail(p)
            return real(p, *a, **kw)
        return call

    with monkeypatch.context() as m:
        m.setattr(os, "open", os_open)
        m.setattr(builtins, "open", b_open)
        m.setattr(io, "open", b_open)
        for name in ("replace", "rename", "unlink", "remove", "mkdir", "rmdir"):
            m.setattr(os, name, guarded(getattr(os, name)))
        yield


def child(i: int, village: str = "石桥村") -> dict:
    return {"id_number": f"50022420150101{i:04d}", "name": f"学生{i}", "village": village, "count": 0}


@pytest.fixture
def store(tmp_path: Path) -> ChildStore:
    s = ChildStore.open(tmp_path / "data")
    s.insert_many([child(i, "石桥村" if i % 2 else "新华村") for i in range(20)], "setup")
    s.collection("visits").insert({"key": "v0", "child": child(1)["id_number"]}, "setup")
    return s


# -- the store --------------------------------------------------------------------------------------

WRITES = {
    "update": lambda s: s.update(child(1)["id_number"], {"note": "写不进去"}, "op", expected_version=1),
    "move": lambda s: s.update(child(1)["id_number"], {"village": "新华村"}, "op"),
    "insert": lambda s: s.insert_many([child(100), child(101, "新华村")], "op"),
    "apply_many": lambda s: s.apply_many([(child(i)["id_number"], {"count": 5}) for i in range(10)], "op"),
    "collection": lambda s: s.collection("visits").insert({"child": "x"}, "op"),
    "collection update": lambda s: s.collection("visits").update("v0", {"finding": "在家"}, "op"),
}


@pytest.mark.parametrize("where", [None, "journal.jsonl", ".tmp-wal"], ids=["any write", "journal", "data file"])
@pytest.mark.parametrize("what", list(WRITES))
def test_full_disk_changes_nothing(store: ChildStore, monkeypatch, what: str, where: str | None):
    root = store.root
    before = snapshot(root)
    with full_disk(monkeypatch, where), pytest.raises(StoreError) as info:
        WRITES[what](store)
    message = str(info.value)
    assert "磁盘已满" in message and "写入" in message
    assert snapshot(root) == before
    assert store.get(child(1)["id_number"])["_v"] == 1 and child(100)["id_number"] not in store
    assert store.collection("visits").get("v0")["_v"] == 1
    # the same process carries on once there is room again, and a fresh open agrees
    WRITES[what](store)
    assert_store_matches_journal(root, collections=("visits",))


@pytest.mark.parametrize("code, words", [(errno.EROFS, "只读"), (errno.EACCES, "没有写权限")])
@pytest.mark.parametrize("what", list(WRITES))
def test_read_only_folder_changes_nothing(store: ChildStore, monkeypatch, what: str, code: int, words: str):
    root = store.root
    before = snapshot(root)
    with read_only(monkeypatch, root, code), pytest.raises(StoreError) as info:
        WRITES[what](store)
    assert words in str(info.value)
    assert snapshot(root) == before
    assert store.get(child(1)["id_number"])["_v"] == 1
    WRITES[what](store)
    assert_store_matches_journal(root, collections=("visits",))


def test_data_file_not_replaceable_after_commit(store: ChildStore, monkeypatch):
    """The journal got the change but the data file could not be replaced: the operator is told, and the
    change is completed from the write-ahead file on the next open -- store and journal still agree."""
    real = os.replace

    def replace(src, dst, *a, **kw):
        if str(src).endswith(".tmp-wal"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real(src, dst, *a, **kw)

    with monkeypatch.context() as m:
        m.setattr(os, "replace", replace)
        with pytest.raises(StoreError, match="修改已记入日志"):
            store.update(child(1)["id_number"], {"note": "补写"}, "op")
    reopened = assert_store_matches_journal(store.root)
    assert reopened.get(child(1)["id_number"])["note"] == "补写"


# -- through the CLI --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cli_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("faults") / "data"
    result = run_cli("demo", "--no-tui", "--seed", "5", "--children", "200", data_dir=data)
    assert result.exit_code == 0, result.output
    return data


@pytest.fixture
def data(cli_data: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "data"
    shutil.copytree(cli_data, target)
    return target


@pytest.fixture
def police_list(tmp_path: Path) -> Path:
    rows = [(cid("2015-03-04", 11 + 2 * i), "张" + "一二三四五"[i], "男", "2015.3.4", "高峰村", 3, "", "张大山",
             "13800138000")
            for i in range(5)]
    rows.append(("12345", "坏号", "男", "", "高峰村", 1, "", "", ""))
    return xlsx(tmp_path / "户籍名单.xlsx", police_rows(rows))


def _invoke(data: Path, *args: str):
    return CliRunner().invoke(cli, ["--data-dir", str(data), "--operator", "tester", *args])


def _some_child(data: Path) -> str:
    return sorted(ChildStore.open(data).ids())[0]


def _assert_refused(result, before: dict, data: Path, words: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert words in result.output
    assert snapshot(data) == before


@pytest.mark.parametrize("fault", ["full", "read-only", "no-permission"])
def test_cli_visit_refused_cleanly(data: Path, monkeypatch, fault: str):
    cid_ = _some_child(data)
    before = snapshot(data)
    ctx = {"full": lambda: full_disk(monkeypatch),
           "read-only": lambda: read_only(monkeypatch, data, errno.EROFS),
           "no-permission": lambda: read_only(monkeypatch, data, errno.EACCES)}[fault]
    with ctx():
        result = _invoke(data, "visit", cid_, "--status", "外地就读", "--note", "写不进去")
    _assert_refused(result, before, data, {"full": "磁盘已满", "read-only": "只读",
                                           "no-permission": "没有写权限"}[fault])
    # and the same command works once the disk has room again
    assert _invoke(data, "visit", cid_, "--status", "外地就读").exit_code == 0
    assert ChildStore.open(data).get(cid_)["status"] == "外地就读"


@pytest.mark.parametrize("fault", ["full", "read-only", "no-permission"])
def test_cli_import_refused_cleanly(data: Path, police_list: Path, monkeypatch, fault: str):
    before = snapshot(data)
    ctx = {"full": lambda: full_disk(monkeypatch),
           "read-only": lambda: read_only(monkeypatch, data, errno.EROFS),
           "no-permission": lambda: read_only(monkeypatch, data, errno.EACCES)}[fault]
    with ctx():
        result = _invoke(data, "import", "police", str(police_list))
    _assert_refused(result, before, data, {"full": "磁盘已满", "read-only": "只读",
                                           "no-permission": "没有写权限"}[fault])
    ok = _invoke(data, "import", "police", str(police_list), "--json")
    assert ok.exit_code == 0, ok.output
    assert ChildStore.open(data).get(cid("2015-03-04", 11)) is not None, ok.output


@pytest.mark.skipif(IS_ROOT, reason="root writes through chmod; the in-process read-only variants cover root")
def test_cli_real_read_only_folder(data: Path, police_list: Path):
    """A data folder really made read-only (chmod), through the installed command in a subprocess."""
    cid_ = _some_child(data)
    before = snapshot(data)
    folders = [p for p in [data, *data.rglob("*")] if p.is_dir()]
    for folder in folders:
        folder.chmod(0o500)
    try:
        for args in (["visit", cid_, "--status", "外地就读"], ["import", "police", str(police_list)]):
            proc = subprocess.run([sys.executable, "-m", "kbtui", "--data-dir", str(data), "--operator", "tester",
                                   *args], capture_output=True, text=True, timeout=120)
            assert proc.returncode == 1, (proc.stdout, proc.stderr)
            assert "Traceback" not in proc.stderr and "没有写权限" in proc.stderr, proc.stderr
    finally:
        for folder in folders:
            folder.chmod(0o700)
    assert snapshot(data) == before
