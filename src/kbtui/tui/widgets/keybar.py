"""KeyBar: the footer line of keys, drawn as one widget.

Textual's ``Footer`` mounts one widget per key and re-styles them all whenever the bindings change (with
the F-key navigation that is ~20 widgets, about a third of a second at every screen switch on a busy
2-core server). The operators use the keyboard only, so one line of text does.

What a newcomer needs at 80 columns comes first, always: F1 帮助, Ctrl+P 命令 (the palette, where the
screens without an F-key live) and q 退出 (Ctrl+Q while typing in a field, where q is a letter). Then
the keys of the focused widget and of the screen, then the other screens in F-key order (not the one
shown). When that is too long the gaps shrink, then the screens take their short labels (``NavItem.short``:
``F4走访``); when it is still too long the screens are summed up as their key range (``F2–F9 切换界面``:
F1 lists them all), or left out (compact from the second step on, so that the screens of one terminal
look alike). A pop-up shows its own keys only (the app's
keys other than Ctrl+Q and Ctrl+P do not reach it).
"""
from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input

from kbtui.tui.textual_words import description

HELP, PALETTE, QUIT_Q, QUIT = "app.help", "app.palette", "app.quit_q", "app.quit"
_FKEY = re.compile(r"^f(\d+)$")

Part = tuple[str, str, bool]           # key shown, description, enabled


def fkey_number(key: str) -> int | None:
    found = _FKEY.match(key.strip().lower())
    return int(found.group(1)) if found else None


STYLES = ((" ", "  "), ("", " "))     # (between key and label, between keys): roomy, then compact


def line_style(parts: list[Part], width: int, styles=STYLES) -> tuple[str, str] | None:
    """The roomiest of ``styles`` in which ``parts`` fit ``width`` cells (with a leading space), or None."""
    for inner, gap in styles:
        line = gap.join(f"{k}{inner}{d}" for k, d, _e in parts)
        if not width or cell_len(line) + 1 <= width:
            return inner, gap
    return None


class KeyBar(Widget):
    # styles live in app.tcss (parsed once at start-up, not again when the first list is shown)
    COMPONENT_CLASSES = {"keybar--key", "keybar--disabled"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    # --- what to show ---------------------------------------------------------------------------------
    def parts(self, short: bool = False) -> tuple[list[Part], list[Part], list[Part]]:
        """(essential keys, the focused widget's and the screen's keys, the other screens' F-keys; with
        ``short``, by the screens' short labels)."""
        app, screen = self.app, self.screen
        modal = isinstance(screen, ModalScreen)
        typing = isinstance(screen.focused, Input)
        by_id: dict[str, Part] = {}
        own: list[Part] = []
        nav: list[tuple[int, Part]] = []
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            part = (app.get_key_display(binding), description(binding), active.enabled)
            if binding.id in (HELP, PALETTE, QUIT_Q, QUIT):
                by_id.setdefault(binding.id, part)
                continue
            if not binding.show or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            if (binding.id or "").startswith("nav."):
                if binding.id != f"nav.{app.current_mode}":
                    item = getattr(app, "nav", {}).get(binding.id[4:])
                    if short and item is not None and item.short:
                        part = (part[0], item.short, part[2])
                    nav.append((fkey_number(binding.key) or 99, part))
            elif active.node is not app:
                own.append(part)
        quit_part = by_id.get(QUIT) if typing or QUIT_Q not in by_id else by_id[QUIT_Q]
        essentials = [p for p in (by_id.get(HELP), None if modal else by_id.get(PALETTE),
                                  None if modal else quit_part) if p]
        return essentials, own, [p for _n, p in sorted(nav, key=lambda item: item[0])]

    def render(self) -> Text:
        essentials, own, nav = self.parts()
        width = self.size.width
        if isinstance(self.screen, ModalScreen):
            return self.draw(own + essentials, line_style(own + essentials, width) or STYLES[-1], width)
        numbers = [n for n in (fkey_number(k) for k, _d, _e in nav) if n is not None]
        summary = [(f"F{min(numbers)}–F{max(numbers)}", "切换界面", True)] if numbers else []
        for parts, styles in ((essentials + own + nav, STYLES), (essentials + own + self.parts(short=True)[2],
                                                                 STYLES[-1:]),
                              (essentials + own + summary, STYLES[-1:]), (essentials + own, STYLES[-1:])):
            style = line_style(parts, width, styles)
            if style is not None:
                return self.draw(parts, style, width)
        return self.draw(essentials + own, STYLES[-1], width)

    def draw(self, parts: list[Part], style: tuple[str, str], width: int) -> Text:
        key_style = self.get_component_rich_style("keybar--key")
        off_style = self.get_component_rich_style("keybar--disabled")
        inner, gap = style
        text = Text(no_wrap=True, overflow="crop")
        for n, (key, label, enabled) in enumerate(parts):
            text.append(" " if n == 0 else gap)
            text.append(key, key_style if enabled else off_style)
            text.append(f"{inner}{label}", None if enabled else off_style)
        if width and cell_len(text.plain) > width:
            text.truncate(width - 1)
            text.append("…")
        return text
