"""Small modal dialogs: confirm, pick one of a list, resolve an edit conflict."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from kbtui.tui.widgets.keybar import KeyBar
from kbtui.domain.child import LABEL_OF
from kbtui.tui.widgets.text_input import TextInput
from kbtui.tui.widgets.virtual_table import fit


class ConfirmScreen(ModalScreen[bool]):
    """Yes / no. Returns True for 是."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "是", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "否", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-title")
            yield Static("按 Y 或 Enter 确定，按 N 或 Esc 取消", classes="dialog-hint")
        yield KeyBar()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PickerScreen(ModalScreen[str | None]):
    """Pick one of a list (type to narrow it down). Returns the chosen value or None."""

    BINDINGS = [Binding("escape", "cancel", "取消", id="picker.cancel")]

    def __init__(self, title: str, options: list[tuple[str, str]], current: str | None = None) -> None:
        """``options`` are (value, label) pairs."""
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Static(self.title_text, classes="dialog-title")
            yield TextInput(placeholder="输入文字或拼音首字母缩小范围", id="picker-filter")
            yield OptionList(*self._options(""), id="picker-list")
        yield KeyBar()

    def _options(self, text: str) -> list[Option]:
        from kbtui.services.search import name_pinyin

        text = text.strip().lower()
        found = []
        for value, label in self.options:
            if text:
                full, initials = name_pinyin(label)
                if text not in label.lower() and not initials.startswith(text) and not full.startswith(text):
                    continue
            found.append(Option(label, id=value))
        return found

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        if self.current is not None:
            for n, (value, _label) in enumerate(self.options):
                if value == self.current:
                    option_list.highlighted = n
        elif option_list.option_count:
            option_list.highlighted = 0
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options(self._options(event.value))
        if option_list.option_count:
            option_list.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option_list = self.query_one(OptionList)
        if option_list.option_count:
            index = option_list.highlighted or 0
            self.dismiss(option_list.get_option_at_index(index).id)

    def on_key(self, event) -> None:
        # the filter keeps the focus; the arrow keys move the highlight in the list
        moves = {"up": "cursor_up", "down": "cursor_down", "pageup": "page_up", "pagedown": "page_down"}
        if event.key in moves and self.focused is self.query_one(Input):
            # the action itself: ``run_action`` is a coroutine here, never awaited (the arrows did nothing)
            getattr(self.query_one(OptionList), f"action_{moves[event.key]}")()
            event.stop()
            event.prevent_default()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


MINE, THEIRS, BACK = "mine", "theirs", "back"


class ConflictScreen(ModalScreen[str]):
    """Someone saved the record first: show both versions; returns MINE, THEIRS or BACK."""

    BINDINGS = [
        Binding("m", "choose('mine')", "用我的覆盖", id="conflict.mine"),
        Binding("t", "choose('theirs')", "采用对方版本", id="conflict.theirs"),
        Binding("escape,b", "choose('back')", "返回编辑", id="conflict.back"),
    ]

    def __init__(self, message: str, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.message = message
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Text()
        widths = (12, 20, 20)
        table.append(" ".join(fit(h, w) for h, w in zip(("字段", "您的修改", "对方的版本"), widths)) + "\n",
                     style="bold")
        for key, _original, mine, theirs in self.rows:
            table.append(" ".join(fit(v, w) for v, w in zip((LABEL_OF.get(key, key), mine or "（空）",
                                                              theirs or "（空）"), widths)) + "\n")
        with Vertical(classes="dialog conflict"):
            yield Static("保存冲突", classes="dialog-title")
            yield Static(self.message, classes="dialog-hint")
            yield Static(table, id="conflict-table")
            yield Static("M 用我的覆盖对方的修改　T 采用对方的版本（放弃我的修改）　Esc 返回继续编辑",
                         classes="dialog-hint")
        yield KeyBar()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
