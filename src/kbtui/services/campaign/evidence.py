"""Evidence (佐证材料) for a finding: documents with a description, files copied into the data folder.

A file given by path is copied into ``<data>/attachments/<身份证号>/`` (folder 0700, file 0600) and the
evidence item keeps the path relative to the data folder. Items are ``{description, file, added, by}``;
an item without a file records a paper document (e.g. "学校就读证明（纸质，存学校）").
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.errors import StoreError
from kbtui.oserrors import os_error_reason
from kbtui.store import layout
from kbtui.store.owner import keep_owner
from kbtui.user_paths import input_problem

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

ATTACHMENTS = "attachments"
MAX_FILE_BYTES = 50 * 1024 * 1024


class EvidenceError(StoreError):
    """Evidence that cannot be attached; the message is Chinese."""


def parse_evidence_arg(text: str) -> dict[str, str]:
    """``说明=路径`` or just ``说明`` (a paper document) → ``{description, path}``."""
    description, sep, path = text.partition("=")
    description, path = description.strip(), path.strip()
    if not description:
        raise EvidenceError(f"佐证材料“{text}”缺少说明，应写成 说明=文件路径，例如 就读证明=/tmp/证明.jpg")
    return {"description": description, "path": path} if sep and path else {"description": description}


def _open_source(path: str) -> tuple[Path, int]:
    """The evidence file ``path``, opened, once it is known to be one the operator may hand over
    (``user_paths.input_problem`` on the opened file: not the data folder's own, such as the journal key;
    under sudo, one they could read themselves). Returns (its path, the open descriptor)."""
    source = Path(path).expanduser()
    try:
        fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise EvidenceError(f"找不到佐证文件 {source}") from None
    except OSError as err:
        raise EvidenceError(f"无法读取佐证文件 {source}：{os_error_reason(err)}，未附上") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise EvidenceError(f"找不到佐证文件 {source}（这不是一个文件）")
        problem = input_problem(source, fd=fd)
        if problem:
            raise EvidenceError(f"{problem}，未附上")
        if st.st_size > MAX_FILE_BYTES:
            raise EvidenceError(f"佐证文件 {source.name} 超过 50MB，请压缩后再附上")
    except BaseException:
        os.close(fd)
        raise
    return source, fd


def _private_copy(source: Path, source_fd: int, folder: Path) -> Path:
    """Copy the open ``source_fd`` (the file ``source``) into ``folder`` as a new private file."""
    created = not folder.exists()
    try:
        for parent in (folder.parent, folder):
            layout.ensure_private_dir(parent)
    except OSError as err:
        raise EvidenceError(f"无法建立佐证材料文件夹 {folder}：{os_error_reason(err)}，未附上") from None
    stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")
    target = folder / f"{stamp}-{source.name}"
    n = 1
    while target.exists():
        target = folder / f"{stamp}-{n}-{source.name}"
        n += 1
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out, os.fdopen(os.dup(source_fd), "rb") as src:
                keep_owner(target, fd)
                shutil.copyfileobj(src, out)
        except BaseException:
            target.unlink(missing_ok=True)           # no half-copied attachment is left
            if created:
                folder.rmdir()
            raise
    except OSError as err:
        raise EvidenceError(f"无法把佐证文件 {source.name} 复制到 {folder}：{os_error_reason(err)}，未附上") from None
    os.chmod(target, 0o600)
    return target


def attach(workspace: Workspace, id_number: str, items: Iterable[dict[str, Any] | str],
           day: dt.date | None = None) -> list[dict[str, Any]]:
    """Evidence items ready to store on the record, files copied into the data folder."""
    result = []
    added = (day or dt.date.today()).isoformat()
    for item in items:
        spec = parse_evidence_arg(item) if isinstance(item, str) else dict(item)
        description = str(spec.get("description") or "").strip()
        if not description:
            raise EvidenceError("佐证材料缺少说明")
        entry: dict[str, Any] = {"description": description, "added": added, "by": workspace.operator}
        path = spec.get("path") or spec.get("file_path")
        if path:
            source, fd = _open_source(path)
            try:
                target = _private_copy(source, fd, workspace.root / ATTACHMENTS / id_number)
            finally:
                os.close(fd)
            entry["file"] = str(target.relative_to(workspace.root))
        elif spec.get("file"):
            entry["file"] = str(spec["file"])
        result.append(entry)
    return result


def add_evidence(workspace: Workspace, id_number: str, items: Iterable[dict[str, Any] | str],
                 expected_version: int | None = None) -> dict:
    """Attach evidence to a child's current finding without recording a new visit (appended under the
    store's lock: evidence or a visit saved meanwhile by someone else stays)."""
    record = workspace.store.get(id_number)
    if record is None:
        raise EvidenceError(f"找不到身份证号为 {id_number} 的儿童")
    new = attach(workspace, id_number, items)
    if not new:
        return record
    try:
        return workspace.store.update(
            id_number, lambda current: {"evidence": [*(current.get("evidence") or []),
                                                     *({**e, "status": current.get("status")} for e in new)]},
            workspace.operator, expected_version=expected_version, action="evidence")
    except BaseException:
        discard(workspace, new)            # not saved: the copies would belong to nobody
        raise


def discard(workspace: Workspace, entries: Iterable[dict[str, Any]]) -> None:
    """Delete the copied files of evidence ``entries`` that were not saved after all."""
    for entry in entries:
        if entry.get("file"):
            (workspace.root / entry["file"]).unlink(missing_ok=True)
