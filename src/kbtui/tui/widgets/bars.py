"""Text layouts for panels: block-character bars (readable without colour, NO_COLOR, and on any terminal
font) and grids of name / number pairs (a run of ``村 n，村 n`` wrapped between a name and its number)."""
from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len, set_cell_size

EIGHTHS = " ▏▎▍▌▋▊▉█"
PANEL_CELLS = 74        # the text of a dashboard panel at 80 columns (panel hooks are not told the width)
LABEL_CELLS = 16        # a bar's label at most: a district's village with its town (山城街道府前社区)


def bar(done: int, total: int, width: int) -> str:
    """A bar of ``width`` cells filled to done/total, in eighths of a cell."""
    if total <= 0 or width <= 0:
        return " " * max(width, 0)
    eighths = round(width * 8 * min(done, total) / total)
    full, part = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[part] if part else "")
    return text + " " * (width - len(text))


def bar_chart(rows: dict[str, tuple[int, int]], width: int) -> list[str]:
    """One line per label: ``label  ████▌     45/80  56%`` fitted to ``width`` cells."""
    if not rows:
        return ["（暂无数据）"]
    label_width = min(max(cell_len(label) for label in rows), LABEL_CELLS)
    tail = max(len(f"{d}/{t}") for d, t in rows.values())
    bar_width = max(width - label_width - tail - 8, 5)
    lines = []
    for label, (done, total) in rows.items():
        pct = f"{100 * done // total:>3d}%" if total else "  — "
        lines.append(f"{set_cell_size(label, label_width)} {bar(done, total, bar_width)} "
                     f"{f'{done}/{total}':>{tail}} {pct}")
    return lines


def pair_grid(pairs: Iterable[tuple[str, object]], width: int, align: str = ">") -> list[str]:
    """``name  n`` pairs in aligned columns, as many a line as fit ``width`` cells: never a name on one
    line and its number on the next. ``align``: the values right (``">"``, numbers) or left (``"<"``, a
    number followed by a note: ``28（高4）``)."""
    items = [(str(name), str(value)) for name, value in pairs]
    if not items:
        return []
    name_width = max(cell_len(name) for name, _v in items)
    value_width = max(cell_len(value) for _n, value in items)        # a value may hold CJK: 28（高4）
    cell = name_width + 1 + value_width
    per_line = max(1, (width + 3) // (cell + 3))
    cells = [f"{set_cell_size(name, name_width)} " + (value + pad if align == "<" else pad + value)
             for name, value in items for pad in [" " * (value_width - cell_len(value))]]
    return ["   ".join(cells[i:i + per_line]) for i in range(0, len(cells), per_line)]


def headed_grid(head: str, pairs: Iterable[tuple[str, object]], width: int = PANEL_CELLS,
                align: str = ">") -> list[str]:
    """``pair_grid`` after a heading on its first line (``按村：长堰村 28   光华村 23``), the next lines
    indented under it."""
    indent = cell_len(head)
    return [(head if n == 0 else " " * indent) + line.rstrip()
            for n, line in enumerate(pair_grid(pairs, width - indent, align))]


def inline_pairs(pairs: Iterable[tuple[str, object]], unit: str = "") -> str:
    """``名称：n单位`` pairs in a line of text. A terminal line breaks at spaces only, so a pair holds none
    (``复评到期 17`` broke between the name and its number) and the pairs are apart by an ideographic space."""
    return "　".join(f"{name}：{value}{unit}" for name, value in pairs)
