"""Block-character bars: readable without colour (NO_COLOR) and on any terminal font."""
from __future__ import annotations

from rich.cells import cell_len, set_cell_size

EIGHTHS = " ▏▎▍▌▋▊▉█"


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
    label_width = min(max(cell_len(label) for label in rows), 12)
    tail = max(len(f"{d}/{t}") for d, t in rows.values())
    bar_width = max(width - label_width - tail - 8, 5)
    lines = []
    for label, (done, total) in rows.items():
        pct = f"{100 * done // total:>3d}%" if total else "  — "
        lines.append(f"{set_cell_size(label, label_width)} {bar(done, total, bar_width)} "
                     f"{f'{done}/{total}':>{tail}} {pct}")
    return lines
