"""Opening a name list for reading: .xlsx/.xlsm/.xls/.xlsb/.ods through python-calamine (openpyxl where
calamine cannot serve), .csv/.txt in UTF-8 or GBK; files that only look like Excel (HTML, text, encrypted,
empty) are refused with a Chinese message saying what the file is and what to do. Nothing is parsed before
``excel.limits`` has checked that it fits (a malicious workbook must not take the process down), and a
panic inside calamine (a broken file) is a Chinese message too.
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbtui.excel import limits
from kbtui.excel.errors import ExcelReadError
from kbtui.excel.halves import read_in_halves, workbook_parts
from kbtui.user_paths import input_problem

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
CSV_SUFFIXES = (".csv", ".txt")


def _sniff(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(512)
    except FileNotFoundError:
        raise ExcelReadError(f"找不到文件“{path}”") from None
    except IsADirectoryError:
        raise ExcelReadError(f"“{path}”是文件夹，不是 Excel 文件") from None
    except PermissionError:
        raise ExcelReadError(f"没有权限读取文件“{path}”") from None
    except OSError as err:
        raise ExcelReadError(f"无法读取文件“{path}”：{err.strerror or err}") from None


def _not_excel(path: Path, head: bytes) -> ExcelReadError:
    name = path.name
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return ExcelReadError(f"文件“{name}”是空文件（0 字节），请重新导出")
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<?xml", b"<head")):
        return ExcelReadError(
            f"文件“{name}”实际是网页（HTML/XML）格式，只是扩展名为 Excel。"
            "请用 Excel 或 WPS 打开它，再“另存为”Excel 工作簿（.xlsx）后导入"
        )
    if b"\x00" not in head:
        return ExcelReadError(
            f"文件“{name}”不是 Excel 文件，而是文本文件（可能改过扩展名）。"
            "如果是 CSV 表格，请把扩展名改为 .csv；否则请用 Excel 或 WPS 另存为 .xlsx 后导入"
        )
    return ExcelReadError(
        f"文件“{name}”不是有效的 Excel 文件（文件已损坏或改过扩展名）。"
        "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
    )


class OpenedWorkbook:
    """A workbook opened for reading: sheet names and a loader for one sheet's grid."""

    def __init__(self, names: list[str], load: Callable[[int], list[list[Any]]],
                 merged: Callable[[int], list] | None = None,
                 close: Callable[[], None] | None = None):
        self.names = names
        self._load = load
        self._merged = merged
        self._close = close

    def close(self) -> None:
        if self._close is not None:
            try:
                self._close()
            except Exception:
                pass

    def grid(self, index: int) -> list[list[Any]]:
        return self._load(index)

    def merged(self, index: int) -> list:
        if self._merged is None:
            return []
        try:
            return self._merged(index) or []
        except Exception:  # merged ranges are a nicety: never fail a read over them
            return []


def is_panic(err: BaseException) -> bool:
    """A Rust panic inside python-calamine (``pyo3_runtime.PanicException``, a BaseException): a broken file."""
    return type(err).__name__ == "PanicException"


def _broken(path: Path, sheet: str | None = None) -> ExcelReadError:
    where = f"的工作表“{sheet}”" if sheet else ""
    return ExcelReadError(f"读取文件“{path.name}”{where}时出错，文件可能已损坏。请用 Excel/WPS 打开后另存为 .xlsx "
                          "再导入")


def _open_calamine(path: Path, head: bytes, archive: zipfile.ZipFile | None) -> OpenedWorkbook:
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        try:
            wb = CalamineWorkbook.from_path(str(path))
        except PasswordError:
            raise
        except Exception:
            # The extension may lie (an .xlsx saved as .xls): let calamine look at the content.
            if not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
                raise
            with path.open("rb") as fh:
                wb = CalamineWorkbook.from_filelike(io.BytesIO(fh.read()))
    except PasswordError:
        raise ExcelReadError(f"文件“{path.name}”设置了打开密码，请先在 Excel/WPS 中取消密码再导入") from None
    except BaseException as err:
        if is_panic(err):
            raise _broken(path) from None
        raise

    indexes = [
        i for i, meta in enumerate(wb.sheets_metadata)
        if getattr(meta.visible, "name", "Visible") == "Visible"
        and getattr(meta.typ, "name", "WorkSheet") == "WorkSheet"
    ] or list(range(len(wb.sheet_names)))
    names = [wb.sheet_names[i] for i in indexes]
    xml_sheets = archive is not None and _xml_workbook(archive)

    loaded: dict[int, Any] = {}  # getting a sheet parses it: do it once per sheet
    halved: dict[int, list] = {}  # merged ranges of a sheet read in halves (``halves``)

    def sheet(i: int):
        if i not in loaded:
            loaded.clear()
            loaded[i] = wb.get_sheet_by_index(indexes[i])
        return loaded[i]

    def load(i: int) -> list[list[Any]]:
        try:
            if xml_sheets:
                read = read_in_halves(path, indexes[i], names[i])     # checks each half before parsing it
                if read is not None:
                    halved[i] = read[1]
                    return read[0]
                _check_xml_sheet(archive, path, indexes[i], names[i])
            return sheet(i).to_python(skip_empty_area=False)
        except BaseException as err:
            if is_panic(err):
                raise _broken(path, names[i]) from None
            raise

    def merged(i: int) -> list:
        return halved[i] if i in halved else sheet(i).merged_cell_ranges

    return OpenedWorkbook(names, load, merged, wb.close)


def _xml_workbook(archive: zipfile.ZipFile) -> bool:
    """Whether a zip is an Office Open XML workbook with XML sheets (.xlsx/.xlsm, whatever its name says)."""
    return any(name.lower().endswith("workbook.xml") for name in archive.NameToInfo)


def _check_xml_sheet(archive: zipfile.ZipFile, path: Path, index: int, name: str) -> None:
    """``limits.check_sheet_xml`` for the workbook's ``index``-th sheet (every sheet part if the workbook
    does not say which one it is)."""
    try:
        members = [workbook_parts(archive, index, name)[0]]
    except Exception:
        members = [m for m in archive.NameToInfo if m.lower().endswith(".xml") and "sheet" in m.lower()]
    for member in members:
        limits.check_sheet_xml(limits.member_pieces(archive, member), path.name, name)


def _open_openpyxl(path: Path, archive: zipfile.ZipFile) -> OpenedWorkbook:
    import openpyxl

    for member in archive.NameToInfo:     # openpyxl places cells like calamine: check every sheet first
        if member.lower().startswith("xl/worksheets/") and member.lower().endswith(".xml"):
            limits.check_sheet_xml(limits.member_pieces(archive, member), path.name, Path(member).stem)
    wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    sheets = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    sheets = sheets or list(wb.worksheets)

    def load(i: int) -> list[list[Any]]:
        ws = sheets[i]
        grid = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
        width = max(map(len, grid), default=0)
        for r in grid:
            if len(r) < width:
                r.extend([""] * (width - len(r)))
        return grid

    return OpenedWorkbook([ws.title for ws in sheets], load, close=wb.close)


def _decode_text(path: Path, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ExcelReadError(f"无法识别文件“{path.name}”的文字编码，请另存为 UTF-8 或 Excel 格式后导入")


def _open_csv(path: Path) -> OpenedWorkbook:
    limits.check_csv_size(path.stat().st_size, path.name)
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _not_excel(path, data[:512])
    text = _decode_text(path, data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    try:
        grid = [row for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as err:
        raise ExcelReadError(f"文件“{path.name}”不是有效的 CSV 表格（{err}），请用 Excel 或 WPS 另存为 .xlsx "
                             "后导入") from None
    width = max(map(len, grid), default=0)
    limits.check_grid(len(grid), width, path.name, path.stem)
    for r in grid:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    return OpenedWorkbook([path.stem], lambda i: grid)


def _open_zip(path: Path) -> zipfile.ZipFile | None:
    """The workbook's zip for ``excel.limits`` (checked here: parts, sizes, ratios, sheet areas of OpenDocument
    and binary workbooks), or None when it is no zip that Python can read (the readers then say what it is)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    try:
        limits.check_archive(archive, path.name)
        names = {name.lower() for name in archive.NameToInfo}
        if "content.xml" in names:
            limits.check_ods(archive, path.name)
        if "xl/workbook.bin" in names:
            limits.check_xlsb(archive, path.name)
    except BaseException:
        archive.close()
        raise
    return archive


def open_source(path: str | Path) -> OpenedWorkbook:
    """The list at ``path``, opened for reading, if the operator may have kbtui read it
    (``user_paths.input_problem``: not a data folder's own file; under sudo, one they could read)."""
    path = Path(path)
    problem = input_problem(path)
    if problem:
        raise ExcelReadError(problem)
    suffix = path.suffix.lower()
    head = _sniff(path)
    if suffix in CSV_SUFFIXES:
        return _open_csv(path)
    if suffix not in EXCEL_SUFFIXES:
        raise ExcelReadError(
            f"不支持的文件类型“{path.suffix or '无扩展名'}”：请导入 Excel（.xlsx/.xls）或 CSV 文件"
        )
    if not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _not_excel(path, head)
    archive = _open_zip(path) if head.startswith(b"PK\x03\x04") else None
    try:
        source = _open_source(path, suffix, head, archive)
    except BaseException:
        if archive is not None:
            archive.close()
        raise
    if archive is not None:
        close = source._close
        source._close = lambda: (close and close(), archive.close())
    return source


def _open_source(path: Path, suffix: str, head: bytes, archive: zipfile.ZipFile | None) -> OpenedWorkbook:
    try:
        return _open_calamine(path, head, archive)
    except ExcelReadError:
        raise
    except Exception:
        pass
    if archive is not None and suffix in (".xlsx", ".xlsm"):
        try:
            return _open_openpyxl(path, archive)
        except ExcelReadError:
            raise
        except Exception:
            pass
    if head.startswith(b"\xd0\xcf\x11\xe0") and suffix in (".xlsx", ".xlsm"):
        raise ExcelReadError(f"文件“{path.name}”可能设置了打开密码或已加密，请先在 Excel/WPS 中取消密码再导入")
    raise _not_excel(path, head)
