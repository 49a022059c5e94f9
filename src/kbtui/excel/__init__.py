"""Excel in and out: reading messy name lists, writing printable ledgers and rejects workbooks.

This package may use openpyxl and python-calamine; ``kbtui.domain`` must not.
"""
from kbtui.excel.errors import ExcelWriteError
from kbtui.excel.headers import (
    DEFAULT_HEADERS,
    FLAG_HEADERS,
    FLAG_LABELS,
    build_lookup,
    header_key,
    match_header,
)
from kbtui.excel.reader import (
    ExcelReadError,
    MissingColumnsError,
    Row,
    Table,
    find_header,
    read_rows,
)
from kbtui.excel.rejects import REASON_HEADER, ROW_NUMBER_HEADER, write_rejects
from kbtui.excel.writer import FormSheet, with_serial, write_form

__all__ = [
    "DEFAULT_HEADERS",
    "FLAG_HEADERS",
    "FLAG_LABELS",
    "REASON_HEADER",
    "ROW_NUMBER_HEADER",
    "ExcelReadError",
    "ExcelWriteError",
    "FormSheet",
    "MissingColumnsError",
    "Row",
    "Table",
    "build_lookup",
    "find_header",
    "header_key",
    "match_header",
    "read_rows",
    "with_serial",
    "write_form",
    "write_rejects",
]
