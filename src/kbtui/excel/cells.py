"""What goes into a cell of a written form: text Excel accepts, and a styled write-only cell.

Safety: a string beginning with ``= + - @``, their full-width forms ``＝ ＋ － ＠`` (WPS and Excel with a
Chinese input method take them for the same), or blanks (spaces, tabs, line breaks, the ideographic space)
before any of these, or looking like an Excel error code, is written as an inline *string* with Excel's
quote-prefix flag, so neither Excel nor WPS evaluates it, not even after
the user edits the cell; control characters Excel refuses are removed. The only way to write a formula is
to pass a :class:`Formula` (built by code, e.g. a report's ``=SUM(D5:D18)`` total): it accepts cell
references, numbers, operators and a few harmless functions, never text taken from a record.
"""
from __future__ import annotations

import re
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Border, Side

#: openpyxl keeps at most this many characters of a text cell
MAX_CELL_CHARS = 32767
_FORMULA_SIGNS = frozenset("=+-@＝＋－＠")
_BLANKS = " \t\r\n\u3000"
#: a first character worth a closer look (``is_risky``): a formula sign or a blank (tab and CR are risky
#: by themselves, as before; a space, line break or ideographic space only when a sign follows)
RISKY_FIRST = _FORMULA_SIGNS | frozenset(_BLANKS)
_RISKY_BY_ITSELF = _FORMULA_SIGNS | frozenset("\t\r")
ERROR_CODE_TEXTS = frozenset(ERROR_CODES)

_THIN = Side(style="thin")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


#: Functions a :class:`Formula` may call (arithmetic and rounding only: nothing that reaches outside).
FORMULA_FUNCTIONS = frozenset({"SUM", "IF", "IFERROR", "ROUND", "MAX", "MIN", "ABS", "AND", "OR", "COUNT"})
_FORMULA_TOKEN = re.compile(r'\$?[A-Z]{1,3}\$?[0-9]+|[0-9]+(?:\.[0-9]+)?|([A-Z]+)\(|"[^"=]*"|[-+*/(),:<>=&% ]')


class Formula:
    """A cell that Excel computes, e.g. ``Formula("=SUM(D5:D18)")``.

    Plain strings that look like formulas are always written as text (see the module docstring); this
    wrapper is the one explicit way to write a formula. Only cell references (``D5``, ``$D$5``, ranges),
    numbers, operators, short string literals and the functions in :data:`FORMULA_FUNCTIONS` are accepted,
    so that text from a record can never become a formula by accident (``ValueError`` otherwise).
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.startswith("=") or len(text) > 2000:
            raise ValueError(f"不是公式：{text!r}")
        pos = 1
        while pos < len(text):
            match = _FORMULA_TOKEN.match(text, pos)
            if match is None:
                raise ValueError(f"公式中有不允许的内容：{text[pos:pos + 20]!r}")
            if match.group(1) and match.group(1) not in FORMULA_FUNCTIONS:
                raise ValueError(f"公式中不允许使用函数 {match.group(1)}")
            pos = match.end()
        self.text = text

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formula) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __str__(self) -> str:
        return self.text


def clean_text(value: str) -> str:
    """Remove the control characters Excel refuses (openpyxl would raise on them)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def is_risky(value: Any) -> bool:
    """A string Excel/WPS could take for a formula (or an error code): a formula sign first, half- or
    full-width, or after leading blanks; a tab or CR first."""
    if value.__class__ is not str or not value:
        return False
    first = value[0]
    if first in _RISKY_BY_ITSELF or value in ERROR_CODE_TEXTS:
        return True
    return first in _BLANKS and value.lstrip(_BLANKS)[:1] in _FORMULA_SIGNS


def plain_text(value: Any) -> Any:
    """Values openpyxl cannot store become text (lists are joined with 、)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(v) for v in value)
    return str(value)


def styled(ws, value=None, *, font=None, border=None, alignment=None, number_format=None,
            fill=None, quote=False) -> Cell:
    cell = WriteOnlyCell(ws, value)
    if font is not None:
        cell.font = font
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    if fill is not None:
        cell.fill = fill
    if quote:
        cell.quotePrefix = True
    return cell


def safe_cell(ws, value: Any = None, **style: Any) -> Cell:
    """A styled write-only cell holding ``value`` as data: text without the characters Excel refuses, and a
    string Excel or WPS could take for a formula (``is_risky``) stored as text with the quote prefix.
    ``style``: the keywords of :func:`styled` (font, border, alignment, number_format, fill)."""
    if value.__class__ is str:
        value = clean_text(value)
    risky = is_risky(value)
    cell = styled(ws, value, quote=risky, **style)
    if risky:
        cell.data_type = "s"
    return cell


ILLEGAL_SEARCH = ILLEGAL_CHARACTERS_RE.search
