"""Excel in and out: reading messy name lists, writing printable ledgers and rejects workbooks.

This package may use openpyxl and python-calamine; ``kbtui.domain`` must not.

The names below are loaded on first use (PEP 562 ``__getattr__``): importing ``kbtui.excel.errors`` (every
CLI command's error handling does) must not load openpyxl and calamine (~0.15 s of ``kbtui --help``).
"""
# heavy: imported where used
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "DEFAULT_HEADERS": "headers", "FLAG_HEADERS": "headers", "FLAG_LABELS": "headers", "build_lookup": "headers",
    "header_key": "headers", "match_header": "headers",
    "ExcelReadError": "errors", "ExcelWriteError": "errors",
    "MissingColumnsError": "reader", "Row": "reader", "Table": "reader", "find_header": "reader",
    "read_rows": "reader",
    "REASON_HEADER": "rejects", "ROW_NUMBER_HEADER": "rejects", "write_rejects": "rejects",
    "FormSheet": "writer", "write_form": "writer", "with_serial": "writer",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'kbtui.excel' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"kbtui.excel.{module}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_WHERE)
