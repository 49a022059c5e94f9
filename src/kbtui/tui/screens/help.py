"""帮助: every key of the app and of each screen, generated from the bindings (after remapping)."""
from __future__ import annotations

from rich.cells import set_cell_size
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from kbtui.tui.screens.child_form import ChildFormScreen
from kbtui.tui.screens.dialogs import ConfirmScreen, ConflictScreen, DetailDialog, Dialog, FormDialog, PickerScreen
from kbtui.tui.screens.filters import FilterScreen
from kbtui.tui.textual_private import node_bindings
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.virtual_table import VirtualTable


def screen_classes(app) -> list[type]:
    """The screen classes whose keys the help lists: navigation screens (plugins' too) and the dialogs."""
    classes: list[type] = []
    for item in app.nav.values():
        if isinstance(item.factory, type):
            classes.append(item.factory)
    extra = [ChildFormScreen, FilterScreen, ConflictScreen, ConfirmScreen, PickerScreen, Dialog, FormDialog,
             DetailDialog, VirtualTable, ListTable]
    return classes + [c for c in extra if c not in classes]


TITLES = {"DashboardScreen": "总览", "ChildrenScreen": "儿童名单", "VisitScreen": "走访录入",
          "ImportScreen": "导入", "ExportScreen": "导出", "ChildFormScreen": "儿童详情",
          "FilterScreen": "筛选", "ConflictScreen": "保存冲突", "ConfirmScreen": "确认",
          "PickerScreen": "选择列表", "Dialog": "弹出窗口", "FormDialog": "弹出的表单",
          "DetailDialog": "查看全文", "VirtualTable": "儿童名单表格", "ListTable": "名单表格"}


def own_bindings(cls: type) -> list[Binding]:
    return [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


def key_text(app, binding: Binding) -> str:
    keys = app._keymap.get(binding.id, binding.key) if binding.id else binding.key
    shown = []
    for key in keys.split(","):
        key = key.strip()
        shown.append(key.upper() if key[:1] == "f" and key[1:].isdigit() else
                     app.get_key_display(Binding(key, binding.action)))
    return " / ".join(shown)


def help_text(app) -> Text:
    text = Text()

    def section(title: str, rows: list[tuple[str, str, str]]) -> None:
        text.append(f"\n{title}\n", style="bold underline")
        for keys, label, binding_id in rows:
            text.append(f"  {set_cell_size(keys, 18)} {set_cell_size(label, 16)} ")
            text.append(f"{binding_id}\n", style="dim")

    rows = []
    for binding in node_bindings(app):
        if binding.description and not binding.system:
            rows.append((key_text(app, binding), binding.description, binding.id or ""))
    section("全局按键（任何界面）", _unique(rows))
    for cls in screen_classes(app):
        rows = [(key_text(app, b), b.description, b.id or "") for b in own_bindings(cls) if b.description]
        if rows:
            item = next((i for i in app.nav.values() if i.factory is cls), None)
            section(item.label if item else TITLES.get(cls.__name__, cls.__name__), rows)
    if app.commands:
        section("插件命令（也可在 Ctrl+P 命令面板中查找）",
                [(c.key or "（无）", c.title, f"cmd.{c.id}") for c in app.commands.values()])
    text.append("\n输入框中：← → 移动，Home / End 行首行尾，→ 接受补全提示，Ctrl+U 清空到行首。\n")
    text.append("按键可在数据目录的 keys.toml 中按功能编号（上面灰色的一列）重新指定，例如：\n")
    text.append('  "nav.children" = "f3"\n', style="bold")
    return text


def _unique(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    seen, found = set(), []
    for row in rows:
        if row[2] not in seen or not row[2]:
            seen.add(row[2])
            found.append(row)
    return found


class HelpScreen(Screen):
    SUB_TITLE = "帮助：全部按键"
    BINDINGS = [Binding("escape,f1,q", "close", "返回", id="help.close")]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll(id="help-scroll", can_focus=True):
            yield Static(help_text(self.app), id="help-text")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss()
