"""The Input used everywhere in kbtui: one line high, focused or not, and no blinking cursor.

Textual's own Input is three rows (a border above and below the text) and gets its ``tall`` border back
when focused (``Input:focus`` outranks a screen's ``Input { border: none; height: 1 }``): squeezed into
one row, the focused field showed only its border and none of the text typed into it. TextInput is always
Textual's *compact* input (no border, one row); app.tcss marks the focused one by its background.

A blinking cursor repaints twice a second, which over a slow SSH link is a steady stream of output for
nothing (and makes screenshots depend on timing). The cursor is still shown (steady) in the focused field.

Textual selects the whole value when a field gets focus, so the first key typed replaced it: an operator
moving to a prefilled date to correct one digit lost the date. A TextInput keeps the value and puts the
cursor at its end (Backspace corrects, Ctrl+A selects all); a field that wants the old way says
``select_on_focus=True``.
"""
from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Input


class TextInput(Input):
    cursor_blink = reactive(False, init=False)

    def __init__(self, *args, compact: bool = True, select_on_focus: bool = False, **kwargs) -> None:
        super().__init__(*args, compact=compact, select_on_focus=select_on_focus, **kwargs)
