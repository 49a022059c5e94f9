"""The pop-ups: the shared ``Dialog`` base, forms (``FormDialog``, ``PromptDialog``), confirm, pick one of a
list, read a text or a list row in full (``DetailDialog``), resolve an edit conflict.

Every pop-up is a ``Dialog``: a centred box (``.dialog`` in app.tcss, one style for all) over the screen it
was opened from, with the KeyBar at the bottom; Esc cancels. Fields are ``TextInput`` (one row, visible
when focused) so that what is typed shows wherever a form is opened.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester, SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from kbtui.domain.controls import escape_controls
from kbtui.domain.labels import field_label
from kbtui.errors import StoreError
from kbtui.services.children.search import name_pinyin
from kbtui.services.workspace import WorkspaceError
from kbtui.tui.widgets.check_box import CheckBox
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.shown import DetailStatic, Static, fit, option
from kbtui.tui.widgets.text_input import TextInput

T = TypeVar("T")

# A refusal from a service carries a Chinese message: the form stays open with what was typed.
REFUSALS: tuple[type[Exception], ...] = (StoreError, WorkspaceError, ValueError, KeyError)


class Dialog(ModalScreen[T]):
    """The shared pop-up. Subclasses yield the box's content from ``body()``; Esc dismisses with None."""

    BINDINGS = [Binding("escape", "cancel", "取消", id="dialog.cancel")]
    BOX_CLASSES = ""        # extra CSS classes of the box (e.g. a wider one)

    def compose(self) -> ComposeResult:
        with Vertical(classes=f"dialog {self.BOX_CLASSES}".strip()):
            yield from self.body()
        yield KeyBar()

    def body(self) -> Iterable[Widget]:
        return ()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(Dialog[bool]):
    """Yes / no. Returns True for 是."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "是", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "否", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def body(self) -> Iterable[Widget]:
        yield Static(Text(self.question), classes="dialog-title")
        yield Static("按 Y 或 Enter 确定，按 N 或 Esc 取消", classes="dialog-hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


# --- forms -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FormField:
    """One field of a ``FormDialog``: a text field, or a choice among ``choices`` (a Select)."""

    key: str
    label: str
    value: str = ""
    placeholder: str = ""
    choices: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()        # completion offered while typing (→ accepts) …
    suggester: Suggester | None = None       # … or any other completion (a path: widgets.path_input)
    disabled: bool = False

    def make_suggester(self) -> Suggester | None:
        if self.suggester is not None:
            return self.suggester
        return SuggestFromList(self.suggestions, case_sensitive=False) if self.suggestions else None


@dataclass(frozen=True)
class FormCheck:
    key: str
    label: str
    value: bool = False


LABEL_CELLS = 12      # labels up to this width sit left of their field; a form with longer ones stacks them


class FormDialog(Dialog[T]):
    """A small form. Enter goes to the next field (on the last one it saves), Ctrl+S saves, Esc cancels.

    ``accept(values)`` (the values by key, text stripped, check boxes as bools) does the work and returns
    what the dialog is dismissed with; when it raises a service's refusal (``REFUSALS``: a Chinese message)
    the message shows in the form, which stays open with everything typed. Without ``accept`` the dialog
    returns the values."""

    BINDINGS = [Binding("ctrl+s", "submit", "保存", id="dialog.save")]
    HINT = "Enter 下一项（最后一项保存）　Ctrl+S 保存　Esc 取消"
    ENTER_SAVES = False     # True: Enter in any field saves (forms whose later fields are all optional)

    def __init__(self, title: str, fields: Sequence[FormField], checks: Sequence[FormCheck] = (),
                 hint: str = "", accept: Callable[[dict[str, Any]], Any] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.fields = list(fields)
        self.checks = list(checks)
        self.hint = hint
        self._accept = accept

    def body(self) -> Iterable[Widget]:
        yield Static(Text(self.title_text), classes="dialog-title")
        if self.hint:
            yield Static(Text(self.hint), classes="dialog-hint")
        stacked = any(cell_len(f.label) > LABEL_CELLS for f in self.fields)
        for f in self.fields:
            if not f.label:
                yield self.field_widget(f)
            elif stacked:
                yield Label(f.label, classes="form-label stacked")
                yield self.field_widget(f)
            else:
                with Horizontal(classes="form-row"):
                    yield Label(f.label, classes="form-label")
                    yield self.field_widget(f)
        for check in self.checks:
            yield CheckBox(check.label, check.value, id=f"c-{check.key}", compact=True)
        yield Static("", id="form-error", classes="form-error")
        yield Static(self.HINT if len(self.fields) > 1 or self.ENTER_SAVES else "Enter 确定　Esc 取消",
                     classes="dialog-hint")

    def field_widget(self, f: FormField) -> Widget:
        if f.choices:
            value = f.value if f.value in f.choices else f.choices[0]
            return Select([(c, c) for c in f.choices], value=value, allow_blank=False, id=f"f-{f.key}",
                          disabled=f.disabled, compact=True)
        return TextInput(f.value, placeholder=f.placeholder, id=f"f-{f.key}", classes="form-input",
                         disabled=f.disabled, suggester=f.make_suggester())

    def on_mount(self) -> None:
        for f in self.fields:
            if not f.disabled:
                self.query_one(f"#f-{f.key}").focus()
                break

    def values(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#f-{f.key}")
            result[f.key] = str(widget.value) if isinstance(widget, Select) else widget.value.strip()
        result.update({c.key: self.query_one(f"#c-{c.key}", Checkbox).value for c in self.checks})
        return result

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.ENTER_SAVES:
            self.action_submit()
            return
        keys = [f.key for f in self.fields if not f.disabled]
        current = (event.input.id or "")[2:]
        index = keys.index(current) if current in keys else len(keys) - 1
        if index + 1 < len(keys):
            self.query_one(f"#f-{keys[index + 1]}").focus()
        elif self.checks and not isinstance(self.focused, Checkbox):
            self.query_one(f"#c-{self.checks[0].key}", Checkbox).focus()
        else:
            self.action_submit()

    def show_error(self, message: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(Text(message))
        error.set_class(bool(message), "shown")

    def accept(self, values: dict[str, Any]) -> Any:
        return self._accept(values) if self._accept else values

    def action_submit(self) -> None:
        try:
            result = self.accept(self.values())
        except REFUSALS as err:
            message = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
            self.show_error(f"未保存：{message}")
            return
        self.dismiss(result)


class PromptDialog(FormDialog[str | None]):
    """Ask for one line of text (a path, a reason, a seed, a school); returns it (stripped) or None for
    nothing typed or Esc."""

    def __init__(self, title: str, placeholder: str = "", value: str = "", suggestions: Sequence[str] = (),
                 suggester: Suggester | None = None) -> None:
        super().__init__(title, [FormField("text", "", value, placeholder, suggestions=tuple(suggestions),
                                           suggester=suggester)])

    def accept(self, values: dict[str, Any]) -> str | None:
        return values["text"] or None


# --- reading and picking -------------------------------------------------------------------------
class DetailDialog(Dialog[None]):
    """Read something in full: a text, or ``label：value`` lines (a list row's every column). Scrolls when
    long; Esc, Enter or Q closes."""

    BINDINGS = [Binding("escape,enter,q", "cancel", "关闭", id="detail.close")]
    BOX_CLASSES = "detail"

    def __init__(self, title: str, content: str | Text | Sequence[tuple[str, str]], *, detail: bool = False) -> None:
        """``detail``: one child's detail (a case, a ladder): full numbers for the roles that may edit the
        child (``DetailStatic``); otherwise numbers are masked as in lists."""
        super().__init__()
        self.title_text = title
        self.content = content
        self.detail = detail

    def body(self) -> Iterable[Widget]:
        yield Static(Text(self.title_text), classes="dialog-title")
        with VerticalScroll(id="detail-scroll", can_focus=True):
            yield (DetailStatic if self.detail else Static)(self.content_text(), id="detail-text")
        yield Static("↑↓ 滚动　Esc 或 Enter 关闭", classes="dialog-hint")

    def content_text(self) -> str | Text:
        """The content to show; a string stays a string (Rich's ``Text`` would drop control characters,
        which the shown ``Static`` makes visible instead)."""
        if isinstance(self.content, (str, Text)):
            return self.content
        text = Text()
        width = min(max((cell_len(label) for label, _v in self.content), default=0), 14)
        for n, (label, value) in enumerate(self.content):
            if n:
                text.append("\n")
            head = f"{label}："
            text.append(head + " " * max(width + 2 - cell_len(head), 0), style="bold")
            text.append(escape_controls(str(value)) if str(value) else "（空）")
        return text

    def on_mount(self) -> None:
        self.query_one("#detail-scroll").focus()


class PickerScreen(Dialog[str | None]):
    """Pick one of a list (type to narrow it down). Returns the chosen value or None.

    ``detail`` (optional) is shown above the list in full, e.g. the row the choice is about."""

    def __init__(self, title: str, options: list[tuple[str, str]], current: str | None = None,
                 detail: str | Text = "") -> None:
        """``options`` are (value, label) pairs."""
        super().__init__()
        self.title_text = title
        self.options = options
        self.current = current
        self.detail = detail

    def body(self) -> Iterable[Widget]:
        yield Static(Text(self.title_text), classes="dialog-title")
        if self.detail:
            yield Static(Text(self.detail) if isinstance(self.detail, str) else self.detail,
                         classes="dialog-hint", id="picker-detail")
        yield TextInput(placeholder="输入文字或拼音首字母缩小范围", id="picker-filter")
        yield OptionList(*self._options(""), id="picker-list")

    def _options(self, text: str) -> list[Option]:
        text = text.strip().lower()
        found = []
        for value, label in self.options:
            if text:
                full, initials = name_pinyin(label)
                if text not in label.lower() and not initials.startswith(text) and not full.startswith(text):
                    continue
            found.append(option(self.app, label, id=value))     # labels may be data (villages, schools …)
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


MINE, THEIRS, BACK = "mine", "theirs", "back"


class ConflictScreen(Dialog[str]):
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

    def body(self) -> Iterable[Widget]:
        table = Text()
        widths = (12, 20, 20)
        table.append(" ".join(fit(h, w) for h, w in zip(("字段", "您的修改", "对方的版本"), widths)) + "\n",
                     style="bold")
        for key, _original, mine, theirs in self.rows:
            table.append(" ".join(fit(v, w) for v, w in zip((field_label(key), mine or "（空）",
                                                              theirs or "（空）"), widths)) + "\n")
        yield Static("保存冲突", classes="dialog-title")
        yield Static(Text(self.message), classes="dialog-hint")
        yield Static(table, id="conflict-table")
        yield Static("M 用我的覆盖对方的修改　T 采用对方的版本（放弃我的修改）　Esc 返回继续编辑",
                     classes="dialog-hint")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
