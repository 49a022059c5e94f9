"""The errors of reading and writing spreadsheets (their own module: opening, limits, saving and the writer
all raise them)."""
from __future__ import annotations


class ExcelReadError(Exception):
    """A spreadsheet that cannot be read; the message is Chinese and tells the user what to do."""


class ExcelWriteError(Exception):
    """A workbook that could not be written; the message is Chinese: which file, and why."""
