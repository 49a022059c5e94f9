"""The check box used in kbtui's forms: its state is in the text, ``[√]`` ticked and ``[ ]`` not.

Textual's compact check box draws ▐X▌ either way and tells the states apart by colour only, which a
monochrome SSH terminal, a screenshot or a colour-blind operator does not show: 已请假 looked ticked whether
it was or not.
"""
from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox

TICKED = "[√]"
CLEAR = "[ ]"


class CheckBox(Checkbox):
    """A Checkbox whose mark says ticked or not (Space or Enter toggles it, as Textual's)."""

    @property
    def mark(self) -> str:
        return TICKED if self.value else CLEAR

    def render(self) -> Content:
        label_style = self.get_visual_style("toggle--label")
        return Content.assemble(Content(self.mark).stylize_before(label_style),
                                self.label.pad(1, 1).stylize_before(label_style))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return len(TICKED) + (2 if self.label else 0) + self.label.get_optimal_width(self.styles, 0)
