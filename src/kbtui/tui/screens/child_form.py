"""儿童详情 form: every field of the record in its group, a history tab, validated saving.

Tab / Shift+Tab move between fields, Enter accepts a field and goes to the next, Ctrl+S saves through
``services.children.child_edit`` (invalid values are marked at the field and nothing is saved), Esc cancels and
asks first when something changed. A save that lost a race shows both versions (``ConflictScreen``).
"""
from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, TabbedContent, TabPane

from kbtui.domain import labels as L
from kbtui.domain.child import LABEL_OF, Record
from kbtui.domain.controls import strip_controls
from kbtui.errors import StaleEditError, StoreError
from kbtui.services.access.disclosure import Presenter
from kbtui.services.children import child_edit
from kbtui.tui.screens.dialogs import MINE, THEIRS, ConfirmScreen, ConflictScreen
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.shown import Static
from kbtui.tui.widgets.text_input import TextInput

PLACEHOLDERS = {"birth_date": "如 2015-03-04", "key_groups": "多个用顿号分隔，如 留守儿童、学困生",
                "id_number": "18位，出生日期和性别将自动填写", "guardian_phone": "11位手机号"}


class ChildFormScreen(Screen):
    SUB_TITLE = "儿童详情"
    BINDINGS = [
        Binding("ctrl+s", "save", "保存", id="form.save"),
        Binding("escape", "cancel", "取消", id="form.cancel"),
        Binding("ctrl+t", "toggle_tab", "资料/历史", id="form.history"),
    ]

    def __init__(self, id_number: str | None) -> None:
        super().__init__()
        self.id_number = id_number
        self.record: Record | None = None
        self.initial: dict[str, str] = {}       # the fields' texts as shown
        self.unmasked: dict[str, str] = {}      # … and as they are

    # --- building -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        workspace = self.app.workspace
        self.fields = child_edit.fields_of(workspace)
        self.record = workspace.child(self.id_number) if self.id_number else None
        self.initial = self._form_values(self.record)
        yield AppHeader()
        yield Static(self._title(), id="form-title")
        with TabbedContent(id="form-tabs"):
            with TabPane("资料", id="tab-fields"):
                with VerticalScroll(id="form-fields"):
                    for group, fields in groupby(self.fields, key=lambda f: f.group):
                        yield Static(group, classes="form-group")
                        for f in fields:
                            choices = child_edit.choices(workspace, f.key)
                            field_input = TextInput(
                                self.initial.get(f.key, ""), id=f"f-{f.key}",
                                placeholder=PLACEHOLDERS.get(f.key, "可按 → 补全" if choices else ""),
                                suggester=SuggestFromList(choices, case_sensitive=False) if choices else None,
                                disabled=f.key == "id_number" and self.record is not None,
                                classes="form-input")
                            with Horizontal(classes="form-row"):
                                yield Label(f.label, classes="form-label")
                                yield field_input
                            yield Static("", id=f"e-{f.key}", classes="form-error")
            with TabPane("历史", id="tab-history"):
                with VerticalScroll(id="history-scroll", can_focus=True):
                    yield Static("正在读取…", id="history")
        yield Static("Tab 下一项　Enter 确认本项　Ctrl+S 保存　Esc 取消", id="form-status")
        yield KeyBar()

    def _form_values(self, record: Record | None) -> dict[str, str]:
        """The fields' texts: full numbers for the roles that may edit them, masked for the others (督导,
        县复核; ``values`` hands the real ones back for the fields left as they were); without control
        characters (an input shows them raw, and saving cleans the record)."""
        self.unmasked = {key: strip_controls(value) for key, value in child_edit.form_values(record or {}).items()}
        return {key: strip_controls(value)
                for key, value in self.app.detail_presenter.data(child_edit.form_values(record or {})).items()}

    def _title(self) -> str:
        if self.record is None:
            return "新增儿童"
        c = self.app.workspace.context(self.app.today).classify(self.record)
        derived = "（按名单推定）" if c.derived else ""
        age = f"　{c.age}岁" if c.age is not None else ""
        number = self.app.detail_presenter.value("id_number", self.record.get("id_number", ""))
        return (f"{self.record.get('name', '')}　{number}{age}　"
                f"当前情况：{c.situation}{derived}　版本 {self.record.get('_v', '')}")

    def on_mount(self) -> None:
        first = "f-name" if self.record is not None else "f-id_number"
        self.query_one(f"#{first}", Input).focus()
        if self.record is not None:
            self.load_history(self.record)
        else:
            self.query_one("#history", Static).update("新增的儿童还没有历史记录")

    # --- history ------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="history")
    def load_history(self, record: Record) -> None:
        text = history_text(self.app.workspace, record, self.app.detail_presenter)
        self.app.call_from_thread(self.query_one("#history", Static).update, text)

    # --- values -------------------------------------------------------------------------------------
    def values(self) -> dict[str, str]:
        """The form's texts; a field shown masked and left as it was stands for its real value."""
        typed = {f.key: self.query_one(f"#f-{f.key}", Input).value for f in self.fields}
        return {key: self.unmasked.get(key, text) if text == self.initial.get(key) else text
                for key, text in typed.items()}

    @property
    def dirty(self) -> bool:
        return any(self.query_one(f"#f-{f.key}", Input).value != self.initial.get(f.key, "") for f in self.fields)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "f-id_number" and self.record is None:
            facts = child_edit.id_facts(event.value)
            for key in ("birth_date", "sex"):
                if facts:
                    self.query_one(f"#f-{key}", Input).value = facts[key]
        if event.input.has_class("error"):
            self.mark(event.input.id[2:], None)

    def mark(self, key: str, message: str | None) -> None:
        field_input = self.query_one(f"#f-{key}", Input)
        error = self.query_one(f"#e-{key}", Static)
        field_input.set_class(message is not None, "error")
        error.update(f"⚠ {message}" if message else "")
        error.set_class(message is not None, "shown")

    def show_errors(self, errors: dict[str, str]) -> None:
        for f in self.fields:
            self.mark(f.key, errors.get(f.key))
        if errors:
            first = next(f.key for f in self.fields if f.key in errors)
            self.query_one(TabbedContent).active = "tab-fields"
            self.query_one(f"#f-{first}", Input).focus()
            labels = "、".join(LABEL_OF[f.key] for f in self.fields if f.key in errors)
            self.query_one("#form-status", Static).update(f"有 {len(errors)} 项填写有误（{labels}），未保存")
            self.notify(f"有 {len(errors)} 项填写有误，未保存：{labels}", severity="error")

    # --- actions ------------------------------------------------------------------------------------
    def action_save(self) -> None:
        workspace = self.app.workspace
        values = self.values()
        try:
            if self.record is None:
                check, saved = child_edit.create_child(workspace, values)
            else:
                check, saved = child_edit.save_child(workspace, self.record, values)
        except StaleEditError as err:
            self.conflict(err)
            return
        except StoreError as err:
            self.notify(str(err), severity="error")
            return
        self.show_errors(check.errors)
        if saved is None:
            return
        self.notify(f"已保存：{saved.get('name', '')}" + ("" if check.changes else "（没有修改）"))
        self.dismiss(saved)

    def conflict(self, err: StaleEditError) -> None:
        mine = dict(err.attempted)
        rows = child_edit.differences(mine, err.current, self.record or {})

        def resolved(choice: str | None) -> None:
            if choice == MINE:
                try:
                    saved = child_edit.overwrite(self.app.workspace, err.current["id_number"], mine,
                                                 err.current["_v"])
                except StoreError as again:
                    self.notify(str(again), severity="error")
                    return
                self.notify("已用您的修改覆盖")
                self.dismiss(saved)
            elif choice == THEIRS:
                self.reload(err.current)
                self.notify("已载入对方的版本，您的修改已放弃")
            else:
                self.notify("您的修改仍在表单中；再按 Ctrl+S 会再次提示冲突，可选择覆盖或采用对方版本")

        self.app.push_screen(ConflictScreen(str(err), rows), resolved)

    def reload(self, record: Record) -> None:
        self.record = record
        self.initial = self._form_values(record)
        for f in self.fields:
            self.query_one(f"#f-{f.key}", Input).value = self.initial.get(f.key, "")
        self.show_errors({})
        self.query_one("#form-title", Static).update(self._title())
        self.load_history(record)

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("有未保存的修改，确定放弃吗？"), answered)

    def action_toggle_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = "tab-history" if tabs.active == "tab-fields" else "tab-fields"
        if tabs.active == "tab-history":
            self.query_one("#history-scroll").focus()
        else:
            self.focus_next()


def history_text(workspace, record: Record, presenter: Presenter | None = None) -> Text:
    """The child's situation history and the journal of changes, newest first (numbers masked by
    ``presenter`` field by field: an old phone number is in the journal only)."""
    show = presenter.data if presenter is not None else (lambda value: value)
    text = Text()
    text.append("核实情况记录\n", style="bold")
    history = show(list(record.get("status_history") or []))
    if not history:
        text.append("　（无）\n")
    for item in reversed(history):
        text.append(f"　{item.get('date', '')}　{item.get('status', '')}　{item.get('how', '')}　"
                    f"{item.get('by', '')}　{item.get('note', '')}\n")
    text.append("\n修改日志\n", style="bold")
    entries = show(workspace.child_journal(record.get("id_number")))
    if not entries:
        text.append("　（无）\n")
    for entry in reversed(entries):
        when = str(entry.get("ts", "")).replace("T", " ")
        text.append(f"　{when}　{entry.get('operator', '')}　{L.action_label(entry.get('action'))}\n")
        for key, change in (entry.get("changes") or {}).items():
            if key.startswith("_") or key == "status_history":
                continue
            old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
            text.append(f"　　{L.change_text(key, old, new)}\n")
    return text
