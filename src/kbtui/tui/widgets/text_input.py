"""The Input used everywhere in kbtui: no blinking cursor.

A blinking cursor repaints twice a second, which over a slow SSH link is a steady stream of output for
nothing (and makes screenshots depend on timing). The cursor is still shown (steady) in the focused field.
"""
from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Input


class TextInput(Input):
    cursor_blink = reactive(False, init=False)
