"""KeyBar: the footer line of keys, drawn as one widget.

Textual's ``Footer`` mounts one widget per key and re-styles them all whenever the bindings change (with
the F-key navigation that is ~20 widgets, about a third of a second at every screen switch on a busy
2-core server). The operators use the keyboard only, so one line of text does: the focused widget's and
the screen's keys first, then the global ones, cut at the terminal's width.
"""
from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget


class KeyBar(Widget):
    # styles live in app.tcss (parsed once at start-up, not again when the first list is shown)
    COMPONENT_CLASSES = {"keybar--key", "keybar--disabled"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        off_style = self.get_component_rich_style("keybar--disabled")
        text = Text(no_wrap=True, overflow="crop")
        seen: set[str] = set()
        width = self.size.width
        for _key, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            part_key = self.app.get_key_display(binding)
            part = f" {part_key} {binding.description} "
            if width and cell_len(text.plain) + cell_len(part) > width:
                break
            text.append(f" {part_key}", key_style if enabled else off_style)
            text.append(f" {binding.description} ", None if enabled else off_style)
        return text
