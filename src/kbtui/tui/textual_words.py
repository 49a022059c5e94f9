"""Chinese for the words Textual itself puts on the screen.

Textual's widgets bring English: key descriptions a footer shows ("Dismiss menu" of an open Select, "Focus
Next" …), the command palette's "Search for commands…" and "No matches found", the header icon's tooltip,
its system commands ("Keys", "Quit", "Screenshot", "Theme") and the theme names. The app uses the public
ways round them where Textual has one (the palette's ``placeholder``, ``App.get_system_commands``, its own
theme list); the rest is translated here, in one place.
"""
from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.widgets import Header
from textual.widgets.option_list import Option

# Descriptions of Textual's own bindings that can reach a user (footer, palette, help).
BINDING_WORDS: dict[str, str] = {
    "Dismiss menu": "关闭列表",
    "Show menu": "打开列表",
    "Focus Next": "下一项",
    "Focus Previous": "上一项",
    "Copy selected text": "复制选中的文字",
    "Exit the command palette": "关闭命令面板",
    "Quit": "退出",
    "Toggle": "勾选/取消",
    "Select": "选择",
}

# The themes offered by 切换配色 (Textual's names are English identifiers).
THEMES: dict[str, str] = {
    "textual-dark": "深色（默认）",
    "textual-light": "浅色",
    "textual-ansi": "跟随终端的配色",
    "solarized-light": "柔和浅色",
    "nord": "冷色调深色",
    "gruvbox": "暖色调深色",
}


def description(binding: Binding) -> str:
    """A binding's description as the user should read it."""
    return BINDING_WORDS.get(binding.description, binding.description)


def textual_actions(cls: type) -> set[str]:
    """The actions bound by Textual's own classes among ``cls``'s bases (Screen's Tab, Shift+Tab, Ctrl+C):
    not the app's commands, so the palette does not list them."""
    actions = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("textual."):
            for item in klass.__dict__.get("BINDINGS", []):
                actions.add(item.action if isinstance(item, Binding) else item[1])
    return actions


class Palette(CommandPalette):
    """Textual's command palette, with a Chinese placeholder and a Chinese “no matches”."""

    NO_MATCHES = "没有找到匹配的命令"

    def __init__(self, *args, placeholder: str = "搜索命令：输入几个字，如 任务、报表、日志…", **kwargs) -> None:
        super().__init__(*args, placeholder=placeholder, **kwargs)

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual adds its English "No matches found" from a timer it starts here (private API: the Textual
        # version is pinned, tests/architecture/test_private_apis.py checks these names, and
        # tests/tui/test_tui_newcomer.py the Chinese line): replace that timer with one adding it in Chinese.
        super()._start_no_matches_countdown(search_value)
        if self._no_matches_timer is not None:
            self._no_matches_timer.stop()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(self.NO_MATCHES, style="not bold")), disabled=True,
                           id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


class AppHeader(Header):
    """Textual's Header; its icon (a click opens the command palette) says so in Chinese."""

    def on_mount(self) -> None:
        for icon in self.query("HeaderIcon"):       # by type name: the class is private to Textual
            icon.tooltip = "打开命令面板（Ctrl+P）"
