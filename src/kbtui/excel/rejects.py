"""The rejects workbook: rows that could not be imported, each with its reason.

It keeps the original header cells and the original cell values, and appends two columns,
拒收原因 and 原行号, so that the user can fix the rows in place and import the file again:
``read_rows`` finds the same header row in it (the title rows above it are skipped as usual).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from kbtui.excel.reader import Row, Table
from kbtui.excel.writer import write_form

REASON_HEADER = "拒收原因"
ROW_NUMBER_HEADER = "原行号"


def _width(header: str) -> int:
    return max(8, min(30, len(header) * 2 + 2))


def write_rejects(
    path: str | Path,
    table: Table,
    rejects: Sequence[tuple[Row, str]],
    *,
    unit: str = "",
    date: dt.date | None = None,
    properties: dict[str, str] | None = None,
) -> Path:
    """Write ``rejects`` (row, Chinese reason) of ``table`` to ``path`` and return the path.
    ``properties`` (who wrote it, when…) go over the workbook's own subject and description."""
    headers = list(table.headers)
    ncols = len(headers)
    widths = {j: 20 for j, _ in table.columns.values()}
    columns = [(h, widths.get(j, _width(h))) for j, h in enumerate(headers)]
    columns += [(REASON_HEADER, 40), (ROW_NUMBER_HEADER, 8)]

    def lines():
        for row, reason in rejects:
            cells = list(row.cells[:ncols])
            if len(cells) < ncols:
                cells += [""] * (ncols - len(cells))
            yield [None if c == "" else c for c in cells] + [reason, row.number]

    source = Path(table.path).name
    write_form(
        path,
        title=f"未能导入的行（来自“{source}”工作表“{table.sheet}”）",
        subtitle=f"共{len(rejects)}行。请按“拒收原因”改正后，删除最后两列或保留均可，重新导入本文件",
        unit=unit or "—",
        date=date or dt.date.today(),
        columns=columns,
        rows=lines(),
        footer=False,
        sheet_title="未导入",
        properties={"subject": "拒收清单", "description": f"来源：{source}", **(properties or {})},
    )
    return Path(path)
