"""Putting a written workbook on disk: where it may go (``output_problem``: an existing folder, never
made on the way), its properties, an atomic save (temporary file next to the target, ``os.replace``), and
the clean-up of a half-written one (openpyxl's temporary files hold data).

A save that fails (a full disk, no write permission) leaves the target as it was and no temporary file
behind, and raises :class:`ExcelWriteError` saying which file and why in Chinese."""
from __future__ import annotations

import datetime as dt
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kbtui import user_paths
from kbtui.excel.errors import ExcelWriteError
from kbtui.oserrors import os_error_reason
from kbtui.store.owner import keep_owner

if TYPE_CHECKING:
    from openpyxl import Workbook


OUR_CREATOR = "kbtui 控辍保学工作台"          # every workbook kbtui writes says so (``set_properties``)
_CORE_LIMIT = 64 * 1024


def is_our_workbook(path: str | os.PathLike[str]) -> bool:
    """Was the workbook at ``path`` written by kbtui (its creator property)? Read without parsing XML."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("docProps/core.xml")
            if info.file_size > _CORE_LIMIT:
                return False
            core = archive.read(info)
    except (KeyError, OSError, ValueError, NotImplementedError, zipfile.BadZipFile, RuntimeError):
        return False
    return f"<dc:creator>{OUR_CREATOR}</dc:creator>".encode() in core


def output_problem(path: str | Path, *, new_folder: bool = False, suffixes: tuple[str, ...] = (".xlsx",),
                   folder_fd: int | None = None) -> str | None:
    """Why ``path`` cannot take an exported file (Chinese), or None: the one rule for every file (or, with
    ``new_folder``, the folder a restore makes) an operator names for kbtui to write.

    - Its folder must already exist: a mistyped ``-o /srv/kbtu/台账.xlsx`` must not leave new folders behind
      with children's data in them.
    - Its name ends in one of ``suffixes`` (the workbooks and documents kbtui writes).
    - Not inside a data folder (symlinks and ``..`` resolved), but in its exports/ or rejects/
      (``user_paths``): an export must never replace operators.toml, the journal or a village file.
    - An existing file is replaced only when it is a workbook kbtui wrote (``is_our_workbook``); a text
      document, a list someone made or anything else stays as it is.
    - Under sudo, outside the data folder: only into a folder the operator could write to themselves.

    ``folder_fd``: the folder, already open (``atomic_save``): judged as it is, whatever path leads there now.
    """
    target = Path(path).expanduser()
    if folder_fd is None:
        if target.is_dir() and not new_folder:
            return f"“{target}”是一个文件夹，请写出文件名，如 {target / '台账.xlsx'}"
        folder = target.parent
        if not folder.exists():
            return (f"文件夹“{folder}”不存在，未写入任何文件。请先建好这个文件夹，或写一个已有文件夹中的"
                    f"{'目录' if new_folder else '文件名'}")
        if not folder.is_dir():
            return f"“{folder}”是文件，不是文件夹，未写入任何文件"
    if not new_folder and suffixes and target.suffix.lower() not in suffixes:
        return f"导出文件应以 {' 或 '.join(suffixes)} 结尾：{target}"
    real_folder = user_paths.real_path(user_paths.fd_path(folder_fd) if folder_fd is not None else target.parent)
    real = os.path.join(real_folder, target.name)
    problem = user_paths.data_folder_problem(target, real, () if new_folder else user_paths.PEOPLE_FOLDERS,
                                             reading=False)
    if problem:
        return problem
    try:
        folder_st = os.stat(real_folder)
        existing = os.lstat(real)
    except FileNotFoundError:
        existing = None
    except OSError:
        return None              # the write itself will say what is wrong
    if existing is not None and not new_folder:
        if not stat.S_ISREG(existing.st_mode):
            kind = "链接" if stat.S_ISLNK(existing.st_mode) else "文件夹或设备"
            return f"“{target}”已存在，且不是普通文件（{kind}），未写入"
        if target.suffix.lower() != ".xlsx" or not is_our_workbook(real):
            return (f"文件“{target}”已存在，且不是本系统导出的表格，未覆盖。请换一个文件名，或先把它移走")
    who = user_paths.invoker()
    if who is not None and user_paths.data_folder_of(real_folder) is None:
        if not user_paths.could_write_in(who, real_folder, folder_st):
            return user_paths.not_yours(who, target.parent, writing=True)
        if existing is not None and not user_paths.could_replace(who, folder_st, existing):
            return user_paths.not_yours(who, target.parent, writing=True)
    if not os.access(real_folder, os.W_OK | os.X_OK):
        return f"没有写权限：不能在文件夹“{target.parent}”中写文件，未写入任何文件"
    return None


def check_output(path: str | Path, suffixes: tuple[str, ...] = (".xlsx",)) -> Path:
    """``path`` if an exported file may be written there, else ExcelWriteError saying why."""
    problem = output_problem(path, suffixes=suffixes)
    if problem:
        raise ExcelWriteError(problem)
    return Path(path).expanduser()


def write_error(path: str | Path, err: OSError) -> ExcelWriteError:
    """“无法写入文件“…”：磁盘已满” for a failed write of ``path``."""
    return ExcelWriteError(f"无法写入文件“{path}”：{os_error_reason(err)}（未生成文件）")


def atomic_save(wb: Workbook, path: str | Path) -> Path:
    """Save to a temporary file next to ``path`` (whose folder must exist), then move it into place; on
    failure nothing is left."""
    return _save_file(path, (".xlsx",), lambda tmp: _save(wb, tmp))


def save_text(text: str, path: str | Path) -> Path:
    """A text document (UTF-8) put in place like a workbook (``atomic_save``): the same rules, whole or not."""
    data = text.encode("utf-8")

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    return _save_file(path, (".txt", ".text"), write)


def _save_file(path: str | Path, suffixes: tuple[str, ...], write: Callable[[str], None]) -> Path:
    """Write ``path`` through ``write(temporary path)`` in its folder, opened once and checked as opened
    (``output_problem(folder_fd=…)``: a folder swapped for a symlink after the check changes nothing),
    then move it into place. The file is private (0600); under sudo, in a shared folder of the operator's
    group, readable by that group (0640) so that the operator can take it."""
    target = Path(path).expanduser()
    try:
        folder_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ExcelWriteError(output_problem(target, suffixes=suffixes) or
                              f"文件夹“{target.parent}”不存在，未写入任何文件") from None
    except OSError as err:
        raise write_error(target, err) from None
    try:
        problem = output_problem(target, suffixes=suffixes, folder_fd=folder_fd)
        if problem:
            raise ExcelWriteError(problem)
        folder = user_paths.fd_path(folder_fd)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=folder)
        except OSError as err:
            raise write_error(target, err) from None
        try:
            try:
                keep_owner(tmp, fd)             # written as root into a data folder: its owner's
                _hand_over(fd, folder_fd)
            finally:
                os.close(fd)
            write(tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, os.path.join(folder, target.name))
        except BaseException as err:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(err, OSError):
                raise write_error(target, err) from None
            raise
    finally:
        os.close(folder_fd)
    return target


def _hand_over(fd: int, folder_fd: int) -> None:
    """0640 for a file written under sudo outside any data folder whose group is one of the operator's (a
    setgid exchange folder's): the operator can read what they exported. Anything else stays 0600."""
    who = user_paths.invoker()
    if who is None or user_paths.data_folder_of(user_paths.real_path(user_paths.fd_path(folder_fd))):
        return
    st = os.fstat(fd)
    if st.st_gid in who.gids and st.st_uid != who.uid:
        os.fchmod(fd, 0o640)


def _save(wb: Workbook, filename: str) -> None:
    """``wb.save(filename)``, but a failure closes the half-written zip instead of leaving it to the garbage
    collector (which would try to write it again and print a second traceback)."""
    if wb.write_only and not wb.worksheets:
        wb.create_sheet()
    archive = zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    try:
        from openpyxl.writer.excel import ExcelWriter  # heavy: imported where used

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
    ``services.access.access.export_properties``: who exported what scope when); unknown keys are ignored."""
    from kbtui.excel.cells import clean_text  # heavy: imported where used
    props = wb.properties
    props.creator = OUR_CREATOR
    props.title = clean_text(title)
    for key, value in (properties or {}).items():
        if key in _PROPERTY_KEYS and value is not None:
            setattr(props, key, clean_text(str(value)))


def discard_all(wb: Workbook) -> None:
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
