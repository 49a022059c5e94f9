"""Showing data in the TUI: masked for the operator, control characters visible, never taken for markup.

Text from data or files (names, addresses, notes, a rejection quoting a cell) reaches the screen through
here. Textual reads a plain string in a ``Static``, a ``DataTable`` cell or a notification as markup: a
note "[red]…" would restyle the screen and an unclosed "[/]" raise; so strings become Rich ``Text``
(never parsed). ESC, BEL, bidirectional overrides … are shown as visible symbols (``domain.controls``),
and for a role that does not see full numbers every ID number and guardian's phone is masked
(``services.access.disclosure``, the app's ``presenter``). ``Static`` and ``DataTable`` here are drop-in
replacements of Textual's that do all this to what they show; ``shown`` does it to one value.
"""
from __future__ import annotations

from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.markup import escape
from rich.text import Text
from textual import widgets
from textual.widgets.option_list import Option

from kbtui.domain.controls import escape_controls


def _present(app: Any, text: str, detail: bool) -> str:
    presenter = getattr(app, "detail_presenter" if detail else "presenter", None) if app is not None else None
    return presenter.text(text) if presenter is not None else text


def shown_str(app: Any, value: Any, *, cell: bool = False, detail: bool = False) -> str:
    """``value`` as a string fit to show (``cell``: one line of a table, tabs and line breaks as spaces)."""
    text = "" if value is None else str(value)
    if cell and ("\n" in text or "\t" in text or "\r" in text):
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return _present(app, escape_controls(text, keep_breaks=not cell), detail)


def shown(app: Any, value: Any, *, cell: bool = False, detail: bool = False) -> Text:
    """``value`` as a Rich ``Text`` fit to show; a ``Text`` keeps its styles (each change is one character
    for one, so every span stays where it was)."""
    if isinstance(value, Text):
        new = shown_str(app, value.plain, detail=detail)
        if new == value.plain:
            return value
        if len(new) != len(value.plain):
            return Text(new, style=value.style)
        copy = value.copy()
        copy.plain = new            # the spans stay: every change was one character for one
        return copy
    if value is None or isinstance(value, (str, int, float)):
        return Text(shown_str(app, value, cell=cell, detail=detail))
    return value                    # another renderable made by code (a table, a bar …)


def _app_of(widget: Any) -> Any:
    try:
        return widget.app
    except Exception:            # not attached to an app yet (being built): nothing to mask by
        return None


def _content(app: Any, content: Any, detail: bool) -> Any:
    """What a ``Static`` (markup off) is given: a string stays a string (tests and callers read it back)."""
    return shown_str(app, content, detail=detail) if isinstance(content, str) else shown(app, content, detail=detail)


class Static(widgets.Static):
    """Textual's ``Static`` for content that may come from data (see the module docstring): markup off."""

    detail = False               # a subclass showing one child's detail: full numbers for roles that edit

    def __init__(self, content: Any = "", **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(_content(_app_of(self), content, self.detail), **kwargs)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(_content(_app_of(self), content, self.detail), layout=layout)


class DetailStatic(Static):
    """A ``Static`` showing one child's detail (the visit card, a case, a placement): full numbers for the
    roles that may edit the child, masked for the others (``services.access.disclosure``, purpose "detail")."""

    detail = True


def _cell(app: Any, value: Any) -> Any:
    """A ``DataTable`` cell: a string stays a string, with "[" escaped (the table reads strings as markup)."""
    return escape(shown_str(app, value, cell=True)) if isinstance(value, str) else shown(app, value, cell=True)


class DataTable(widgets.DataTable):
    """Textual's ``DataTable`` whose text cells are shown as data (see the module docstring)."""

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None, label: Any = None):
        app = _app_of(self)
        return super().add_row(*(_cell(app, c) for c in cells), height=height, key=key,
                               label=None if label is None else _cell(app, label))

    def update_cell(self, row_key: Any, column_key: Any, value: Any, *, update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, _cell(_app_of(self), value), update_width=update_width)


def option(app: Any, prompt: Any, id: str | None = None, disabled: bool = False) -> Option:
    """An ``OptionList`` option whose prompt is data."""
    return Option(shown(app, prompt, cell=True), id=id, disabled=disabled)


__all__ = ["DataTable", "DetailStatic", "Static", "option", "shown", "shown_str"]


def fit(text: str, width: int) -> str:
    """Pad or cut ``text`` to exactly ``width`` terminal cells (a cut is marked with …)."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(set_cell_size(text, max(width - 1, 0)) + "…", width)
