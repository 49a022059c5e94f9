"""Putting a written workbook on disk: where it may go (``output_problem``: an existing folder, never
made on the way), its properties, an atomic save (temporary file next to the target, ``os.replace``), and
the clean-up of a half-written one (openpyxl's temporary files hold data).

A save that fails (a full disk, no write permission) leaves the target as it was and no temporary file
behind, and raises :class:`ExcelWriteError` saying which file and why in Chinese."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from kbtui.excel.cells import clean_text
from kbtui.excel.errors import ExcelWriteError
from kbtui.oserrors import os_error_reason
from kbtui.store.owner import keep_owner


def output_problem(path: str | Path, *, new_folder: bool = False) -> str | None:
    """Why ``path`` cannot take an exported file (Chinese), or None. Its folder must already exist: a
    mistyped ``-o /srv/kbtu/台账.xlsx`` must not leave new folders behind with children's data in them.
    ``new_folder``: ``path`` is a folder to be made there (a restore's target), not a file."""
    target = Path(path).expanduser()
    if target.is_dir() and not new_folder:
        return f"“{target}”是一个文件夹，请写出文件名，如 {target / '台账.xlsx'}"
    folder = target.parent
    if not folder.exists():
        return (f"文件夹“{folder}”不存在，未写入任何文件。请先建好这个文件夹，或写一个已有文件夹中的"
                f"{'目录' if new_folder else '文件名'}")
    if not folder.is_dir():
        return f"“{folder}”是文件，不是文件夹，未写入任何文件"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"没有写权限：不能在文件夹“{folder}”中写文件，未写入任何文件"
    return None


def check_output(path: str | Path) -> Path:
    """``path`` if an exported file may be written there, else ExcelWriteError saying why."""
    problem = output_problem(path)
    if problem:
        raise ExcelWriteError(problem)
    return Path(path).expanduser()


def write_error(path: str | Path, err: OSError) -> ExcelWriteError:
    """“无法写入文件“…”：磁盘已满” for a failed write of ``path``."""
    return ExcelWriteError(f"无法写入文件“{path}”：{os_error_reason(err)}（未生成文件）")


def atomic_save(wb: Workbook, path: str | Path) -> Path:
    """Save to a temporary file next to ``path`` (whose folder must exist), then move it into place; on
    failure nothing is left."""
    target = check_output(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp.xlsx", dir=target.parent)
    except OSError as err:
        raise write_error(target, err) from None
    try:
        try:
            keep_owner(tmp, fd)             # written as root into a data folder: its owner's
        finally:
            os.close(fd)
        _save(wb, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(err, OSError):
            raise write_error(target, err) from None
        raise
    return target


def _save(wb: Workbook, filename: str) -> None:
    """``wb.save(filename)``, but a failure closes the half-written zip instead of leaving it to the garbage
    collector (which would try to write it again and print a second traceback)."""
    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    archive = zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
    try:
        ExcelWriter(wb, archive).save()          # writes every part, then closes the archive
    except BaseException:
        handle, archive.fp = archive.fp, None      # the archive is abandoned: never written again
        try:
            if handle is not None:
                handle.close()
        except OSError:
            pass
        raise


_PROPERTY_KEYS = ("creator", "title", "subject", "description", "keywords", "category",
                  "lastModifiedBy", "identifier", "version", "contentStatus")


def set_properties(wb: Workbook, title: str, properties: dict[str, str] | None = None) -> None:
    """The workbook's properties: kbtui as creator, ``title``, then ``properties`` (e.g.
    ``services.access.export_properties``: who exported what scope when); unknown keys are ignored."""
    props = wb.properties
    props.creator = "kbtui 控辍保学工作台"
    props.title = clean_text(title)
    for key, value in (properties or {}).items():
        if key in _PROPERTY_KEYS and value is not None:
            setattr(props, key, clean_text(str(value)))


def _discard_all(wb: Workbook) -> None:
    for ws in wb.worksheets:
        _discard(ws)


def _discard(ws) -> None:
    """Close a half-written write-only sheet and delete openpyxl's temporary file (it holds data)."""
    try:
        if ws._rows is not None:
            ws._rows.close()
        if ws._writer is not None:
            ws._writer.close()
            ws._writer.cleanup()
    except Exception:  # best effort: the caller's exception is what matters
        pass
