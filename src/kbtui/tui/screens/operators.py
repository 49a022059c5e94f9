"""操作员 screen: who may use this data folder, with which role and scope.

Everyone sees the list; a 镇管理员 adds (A), edits (E) and removes (D) operators. Everything goes
through ``services.access`` (which refuses other roles and keeps at least one 镇管理员), and each change
is journaled.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Header, Input, Label, Select

from kbtui.domain import roles as R
from kbtui.services import access
from kbtui.store import StoreError
from kbtui.tui.screens.dialogs import ConfirmScreen
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.shown import DataTable, Static


class OperatorForm(ModalScreen[dict | None]):
    """Login, name, role, villages / schools (separated by 、 or commas). Ctrl+S saves, Esc cancels."""

    DEFAULT_CSS = """
    OperatorForm { align: center middle; }
    OperatorForm .form-row { height: auto; }
    OperatorForm .form-label { width: 14; padding: 0 1; }
    OperatorForm Input { height: 1; border: none; padding: 0 1; width: 1fr; }
    OperatorForm Select { width: 1fr; }
    OperatorForm #operator-error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "取消", id="operatorform.cancel"),
        Binding("ctrl+s", "submit", "保存", id="operatorform.save"),
    ]

    def __init__(self, title: str, current: access.Operator | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.current = current

    def compose(self) -> ComposeResult:
        cur = self.current
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label("系统用户名", classes="form-label")
                yield Input(cur.login if cur else "", id="op-login", disabled=cur is not None)
            with Horizontal(classes="form-row"):
                yield Label("姓名", classes="form-label")
                yield Input(cur.name if cur else "", id="op-name")
            with Horizontal(classes="form-row"):
                yield Label("角色", classes="form-label")
                yield Select([(r, r) for r in R.ROLES], value=cur.role if cur else R.VILLAGE_CADRE,
                             allow_blank=False, id="op-role")
            with Horizontal(classes="form-row"):
                yield Label("村（社区）", classes="form-label")
                yield Input("、".join(cur.villages) if cur else "", placeholder="村干部填写，多个用、分隔",
                            id="op-villages")
            with Horizontal(classes="form-row"):
                yield Label("学校", classes="form-label")
                yield Input("、".join(cur.schools) if cur else "", placeholder="学校账号填写", id="op-schools")
            yield Static("", id="operator-error")
            yield Static("Ctrl+S 保存  Esc 取消", classes="dialog-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#op-name" if self.current else "#op-login", Input).focus()

    def show_error(self, message: str) -> None:
        self.query_one("#operator-error", Static).update(message)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.focus_next()

    def action_submit(self) -> None:
        self.dismiss({
            "login": self.query_one("#op-login", Input).value.strip(),
            "name": self.query_one("#op-name", Input).value.strip(),
            "role": str(self.query_one("#op-role", Select).value),
            "villages": self.query_one("#op-villages", Input).value,
            "schools": self.query_one("#op-schools", Input).value,
        })

    def action_cancel(self) -> None:
        self.dismiss(None)


class OperatorsScreen(Screen):
    BINDINGS = [
        Binding("a", "add", "添加", id="operators.add"),
        Binding("e", "edit", "修改", id="operators.edit"),
        Binding("d", "remove", "删除", id="operators.remove"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="operators-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="operators-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.app.sub_title = "操作员"
        table = self.query_one(DataTable)
        for label, width in (("系统用户名", 12), ("姓名", 8), ("角色", 8), ("范围", 40)):
            table.add_column(label, width=width)
        self.operators: list[access.Operator] = []
        self.reload()
        table.focus()

    @property
    def is_admin(self) -> bool:
        account = self.app.workspace.account
        return bool(account and account.role_info.may(R.ADMIN))

    def reload(self) -> None:
        try:
            self.operators = access.list_operators(self.app.workspace)
        except StoreError as err:
            self.notify(str(err), severity="error")
            self.operators = []
        table = self.query_one(DataTable)
        table.clear()
        for op in self.operators:
            table.add_row(op.login, op.name, op.role, op.scope_text(), key=op.login)
        hint = "A 添加  E 修改  D 删除" if self.is_admin else "只有镇管理员可以修改操作员"
        me = self.app.workspace.account
        self.query_one("#operators-status", Static).update(
            f"共 {len(self.operators)} 位操作员；当前：{me.label() if me else ''}。{hint}")

    def selected(self) -> access.Operator | None:
        row = self.query_one(DataTable).cursor_row
        return self.operators[row] if self.operators and row is not None and row < len(self.operators) else None

    def refuse_unless_admin(self) -> bool:
        if not self.is_admin:
            self.notify("只有镇管理员可以添加、修改或删除操作员", severity="error")
            return True
        return False

    def action_add(self) -> None:
        if not self.refuse_unless_admin():
            self.app.push_screen(OperatorForm("添加操作员"), lambda v: self.save(v, replace=False))

    def action_edit(self) -> None:
        current = self.selected()
        if current is not None and not self.refuse_unless_admin():
            self.app.push_screen(OperatorForm(f"修改操作员 {current.login}", current),
                                 lambda v, c=current: self.save(v and {**v, "login": c.login}, replace=True))

    def save(self, values: dict | None, replace: bool) -> None:
        if not values:
            return
        try:
            op = access.add_operator(self.app.workspace, values["login"], values["name"], values["role"],
                                     values["villages"], values["schools"], replace=replace)
        except StoreError as err:
            self.notify(str(err), severity="error", timeout=8)
            return
        self.notify(f"已保存操作员 {op.label()}，范围：{op.scope_text()}")
        self.reload()

    def action_remove(self) -> None:
        current = self.selected()
        if current is None or self.refuse_unless_admin():
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                access.remove_operator(self.app.workspace, current.login)
            except StoreError as err:
                self.notify(str(err), severity="error", timeout=8)
                return
            self.notify(f"已删除操作员 {current.label()}")
            self.reload()

        self.app.push_screen(ConfirmScreen(f"删除操作员 {current.label()}？"), answer)
