"""操作员 screen: who may use this data folder, with which role and scope.

Everyone sees the list; a 镇管理员 (区县管理员 in a district) adds (A), edits (E) and removes (D) operators.
Everything goes through ``services.access.operator_admin`` (which refuses other roles, keeps at least one
镇管理员 and keeps a district's town admin to their towns), and each change is journaled. On a district profile
the form has 所管乡镇 (the profile's towns, several allowed, for the towns' roles), the list a 所管乡镇 column,
and the district roles are offered only there.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from kbtui.domain import roles as R
from kbtui.errors import StoreError
from kbtui.services.access import operator_admin
from kbtui.services.access.operators import Operator
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.dialogs import ConfirmScreen, FormDialog, FormField
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_suggester import ItemsSuggester
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.shown import DataTable, Static


class OperatorForm(FormDialog):
    """Login, name, role, (in a district) towns, villages / schools (separated by 、 or commas). Saves through
    ``services.access.operator_admin`` (a refusal stays in the form); the login of an operator being edited cannot
    change. Returns the saved operator or None."""

    def __init__(self, title: str, workspace: Workspace, current: Operator | None = None) -> None:
        cur = current
        district = workspace.profile.district
        roles = tuple(operator_admin.offered_roles(workspace))
        if cur is not None and cur.role not in roles:
            roles += (cur.role,)
        fields = [
            FormField("login", "系统用户名", cur.login if cur else "", "SSH 登录名，如 zhangsan",
                      disabled=cur is not None),
            FormField("name", "姓名", cur.name if cur else ""),
            FormField("role", "角色", cur.role if cur else R.VILLAGE_CADRE, choices=roles),
        ]
        if district is not None:
            admin = workspace.account
            towns = cur.towns if cur else (admin.towns if admin else ())      # a town admin adds to their town
            fields.append(FormField("towns", "所管乡镇", "、".join(towns), "如 城头镇，多个用、分隔；区县角色不填",
                                    suggester=ItemsSuggester(district.town_names)))
        villages = district.villages if district is not None else workspace.profile.villages
        fields += [
            FormField("villages", "村（社区）", "、".join(cur.villages) if cur else "", "村干部填写，多个用、分隔",
                      suggester=ItemsSuggester(villages)),
            FormField("schools", "学校", "、".join(cur.schools) if cur else "", "学校账号填写",
                      suggester=ItemsSuggester(workspace.profile.schools)),
        ]
        super().__init__(title, fields)
        self.current = current

    def accept(self, values: dict) -> Operator:
        login = self.current.login if self.current else values["login"]
        return operator_admin.add_operator(self.app.workspace, login, values["name"], values["role"],
                                           values["villages"], values["schools"], values.get("towns"),
                                           replace=self.current is not None)


class OperatorsScreen(Screen):
    SUB_TITLE = "操作员"
    DEFAULT_CSS = "#operators-status { height: auto; padding: 0 1; color: $text-muted; }"
    BINDINGS = [
        Binding("a", "add", "添加", id="operators.add"),
        Binding("e", "edit", "修改", id="operators.edit"),
        Binding("d", "remove", "删除", id="operators.remove"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield ListTable(id="operators-table")
        yield Static("", id="operators-status")
        yield KeyBar()

    @property
    def district(self) -> bool:
        return self.app.workspace.profile.district is not None

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        columns = ((("系统用户名", 10), ("姓名", 8), ("角色", 10), ("所管乡镇", 14), ("范围", 22)) if self.district
                   else (("系统用户名", 12), ("姓名", 8), ("角色", 8), ("范围", 40)))
        for label, width in columns:
            table.add_column(label, width=width)
        self.operators: list[Operator] = []
        self.reload()
        table.focus()

    @property
    def is_admin(self) -> bool:
        account = self.app.workspace.account
        return bool(account and account.role_info.may(R.ADMIN))

    def reload(self) -> None:
        try:
            self.operators = operator_admin.list_operators(self.app.workspace)
        except StoreError as err:
            self.notify(str(err), severity="error")
            self.operators = []
        table = self.query_one(DataTable)
        table.clear()
        for op in self.operators:
            towns = ("、".join(op.towns) or "（全区）",) if self.district else ()
            table.add_row(op.login, op.name, op.role, *towns, op.scope_text(), key=op.login)
        hint = "A 添加  E 修改  D 删除" if self.is_admin else f"只有{self.admin_roles}可以修改操作员"
        me = self.app.workspace.account
        self.query_one("#operators-status", Static).update(
            f"共 {len(self.operators)} 位操作员；当前：{me.label() if me else ''}。{hint}")

    def selected(self) -> Operator | None:
        row = self.query_one(DataTable).cursor_row
        return self.operators[row] if self.operators and row is not None and row < len(self.operators) else None

    @property
    def admin_roles(self) -> str:
        """Who may change operators here: 镇管理员 (and 区县管理员 in a district)."""
        return "、".join(r for r in operator_admin.offered_roles(self.app.workspace) if R.ROLES[r].may(R.ADMIN))

    def refuse_unless_admin(self, other: Operator | None = None) -> bool:
        """Refused (a Chinese note, True) unless the operator may change operators, and ``other`` (when given)
        is within their towns."""
        if not self.is_admin:
            self.notify(f"只有{self.admin_roles}可以添加、修改或删除操作员", severity="error")
            return True
        if other is not None:
            try:
                operator_admin.require_may_manage(self.app.workspace, other)
            except StoreError as err:
                self.notify(str(err), severity="error", timeout=8)
                return True
        return False

    def action_add(self) -> None:
        if not self.refuse_unless_admin():
            self.app.push_screen(OperatorForm("添加操作员", self.app.workspace), self.saved)

    def action_edit(self) -> None:
        current = self.selected()
        if current is not None and not self.refuse_unless_admin(current):
            self.app.push_screen(OperatorForm(f"修改操作员 {current.login}", self.app.workspace, current), self.saved)

    def saved(self, op: Operator | None) -> None:
        if op is not None:
            self.notify(f"已保存操作员 {op.label()}，范围：{op.scope_text()}")
            self.reload()

    def action_remove(self) -> None:
        current = self.selected()
        if current is None or self.refuse_unless_admin(current):
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                operator_admin.remove_operator(self.app.workspace, current.login)
            except StoreError as err:
                self.notify(str(err), severity="error", timeout=8)
                return
            self.notify(f"已删除操作员 {current.label()}")
            self.reload()

        self.app.push_screen(ConfirmScreen(f"删除操作员 {current.label()}？"), answer)
