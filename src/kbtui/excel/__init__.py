"""Excel in and out: reading messy name lists, writing printable ledgers and rejects workbooks.

This package may use openpyxl and python-calamine; ``kbtui.domain`` must not. It re-exports nothing:
callers import from the module that defines a name (``excel.reader``, ``excel.writer``, ``excel.errors``…),
so that importing ``kbtui.excel.errors`` (every CLI command's error handling does) loads neither openpyxl
nor calamine.
"""
