"""Reading an exported report back: its table cells with our formulas evaluated from the sheet's own cells."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl

from kbtui.excel.writer import data_start_row

_CELLS = re.compile(r"\b([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\b")


def _cells(match) -> str:
    col, first, _end_col, last = match.groups()
    if last is None:
        return f'V("{col}{first}")'
    return "[" + ",".join(f'V("{col}{r}")' for r in range(int(first), int(last) + 1)) + "]"


def evaluate(ws, ref: str, seen=None):
    """The value of a cell: constants as they are, our formulas (SUM, IF, ROUND, + - * /) computed."""
    value = ws[ref].value
    if not (isinstance(value, str) and ws[ref].data_type == "f"):
        return value
    expr = value[1:]
    expr = _CELLS.sub(_cells, expr)
    expr = re.sub(r"(?<![<>=!])=(?!=)", "==", expr)

    def total(*args):
        out = 0
        for a in args:
            out += sum(x or 0 for x in a) if isinstance(a, list) else (a or 0)
        return out

    def excel_round(x, n):
        from decimal import ROUND_HALF_UP, Decimal
        return float(Decimal(str(x)).quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP))

    env = {"V": lambda r: evaluate(ws, r) or 0, "SUM": total, "ROUND": excel_round,
           "IF": lambda c, a, b: a if c else b}
    try:
        return eval(expr, env)  # noqa: S307 - our own formulas, checked by Formula
    except ZeroDivisionError:
        return ""


def sheet_values(path: Path, built) -> list[list]:
    """Every table cell of the exported report, formulas evaluated."""
    ws = openpyxl.load_workbook(path).active
    start = data_start_row(subtitle=bool(built.subtitle), header_groups=bool(built.report.header_groups(built.ctx)))
    ncols = len(built.headers)
    return [[evaluate(ws, f"{openpyxl.utils.get_column_letter(c)}{start + i}") for c in range(1, ncols + 1)]
            for i in range(len(built.rows))]


