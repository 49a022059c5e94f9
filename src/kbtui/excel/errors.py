"""The error a spreadsheet that cannot be read raises (its own module: opening, halves and limits all raise it)."""
from __future__ import annotations


class ExcelReadError(Exception):
    """A spreadsheet that cannot be read; the message is Chinese and tells the user what to do."""
