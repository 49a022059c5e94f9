"""Opening a name list for reading: .xlsx/.xlsm/.xls/.xlsb/.ods through python-calamine (openpyxl where
calamine cannot serve), .csv/.txt in UTF-8 or GBK; files that only look like Excel (HTML, text, encrypted,
empty) are refused with a Chinese message saying what the file is and what to do.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbtui.excel.halves import read_in_halves

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
CSV_SUFFIXES = (".csv", ".txt")


class ExcelReadError(Exception):
    """A spreadsheet that cannot be read; the message is Chinese and tells the user what to do."""


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


class _Source:
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


def _open_calamine(path: Path, head: bytes) -> _Source:
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

    indexes = [
        i for i, meta in enumerate(wb.sheets_metadata)
        if getattr(meta.visible, "name", "Visible") == "Visible"
        and getattr(meta.typ, "name", "WorkSheet") == "WorkSheet"
    ] or list(range(len(wb.sheet_names)))
    names = [wb.sheet_names[i] for i in indexes]

    loaded: dict[int, Any] = {}  # getting a sheet parses it: do it once per sheet
    halved: dict[int, list] = {}  # merged ranges of a sheet read in halves (``halves``)

    def sheet(i: int):
        if i not in loaded:
            loaded.clear()
            loaded[i] = wb.get_sheet_by_index(indexes[i])
        return loaded[i]

    def load(i: int) -> list[list[Any]]:
        if head.startswith(b"PK\x03\x04"):
            read = read_in_halves(path, indexes[i], names[i])
            if read is not None:
                halved[i] = read[1]
                return read[0]
        return sheet(i).to_python(skip_empty_area=False)

    def merged(i: int) -> list:
        return halved[i] if i in halved else sheet(i).merged_cell_ranges

    return _Source(names, load, merged, wb.close)


def _open_openpyxl(path: Path) -> _Source:
    import openpyxl

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

    return _Source([ws.title for ws in sheets], load, close=wb.close)


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


def _open_csv(path: Path) -> _Source:
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _not_excel(path, data[:512])
    text = _decode_text(path, data)
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    grid = [row for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    width = max(map(len, grid), default=0)
    for r in grid:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    return _Source([path.stem], lambda i: grid)


def open_source(path: str | Path) -> _Source:
    path = Path(path)
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
    try:
        return _open_calamine(path, head)
    except ExcelReadError:
        raise
    except Exception:
        pass
    if head.startswith(b"PK\x03\x04") and suffix in (".xlsx", ".xlsm"):
        try:
            return _open_openpyxl(path)
        except Exception:
            pass
    if head.startswith(b"\xd0\xcf\x11\xe0") and suffix in (".xlsx", ".xlsm"):
        raise ExcelReadError(f"文件“{path.name}”可能设置了打开密码或已加密，请先在 Excel/WPS 中取消密码再导入")
    raise _not_excel(path, head)
