"""The kbtui Textual application: navigation between screens, keys, command palette, plugin hooks."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import DataTable

from kbtui.errors import StoreError
from kbtui.registry import Registry
from kbtui.services.access import disclosure
from kbtui.services.children.search import name_pinyin
from kbtui.services.keymap import load_keymap
from kbtui.services.workspace import Workspace
from kbtui.tui.navigation import commands, dashboard_panels, list_columns, navigation
from kbtui.tui.textual_private import add_binding, node_bindings
from kbtui.tui.textual_words import THEMES, Palette, textual_actions
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.shown import shown_str
from kbtui.tui.widgets.virtual_table import VirtualTable

FIRST_SCREEN = "dashboard"     # shown while the children are read (it needs none to draw its frame)
SAVES_EVERY_S = 0.5            # how often the socket of the save listener is looked at (a database store)


class KbtuiApp(App):
    TITLE = "控辍保学工作台"
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))   # absolute: subclasses elsewhere find it too
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_DISPLAY = "^p"
    BINDINGS = [
        Binding("ctrl+q", "quit", "退出", show=False, priority=True, id="app.quit"),
        Binding("q", "quit", "退出", show=False, id="app.quit_q"),
        Binding("f1,question_mark", "help", "帮助", key_display="F1", id="app.help"),
        Binding("ctrl+p", "command_palette", "命令", show=False, key_display="^p", priority=True, id="app.palette"),
    ]

    def __init__(self, workspace: Workspace, today: dt.date | None = None, start: str = "dashboard",
                 plugin_ui: bool = True) -> None:
        """``today`` is injectable (tests, snapshots); ``plugin_ui=False`` keeps only the core screens,
        panels, columns and commands (for snapshots that must not change when a plugin adds a screen)."""
        super().__init__()
        self.workspace = workspace
        # what the operator may see of children's numbers: lists and messages, and the form of one child
        self.presenter = disclosure.presenter(workspace)
        self.detail_presenter = disclosure.presenter(workspace, disclosure.DETAIL)
        self.today = today or dt.date.today()
        self.start = start
        self.sub_title = f"{workspace.profile.title}  操作员：{workspace.operator}"
        plugins = workspace.plugins
        self.nav = navigation(plugins)
        self.panels = dashboard_panels(plugins)
        self.columns = list_columns(plugins)
        self.commands = commands(plugins)
        if not plugin_ui:
            self.nav, self.panels, self.columns, self.commands = (
                _core_only(r) for r in (self.nav, self.panels, self.columns, self.commands))
        self.children_loaded = True                  # on_mount: False while a worker reads them
        self._save_listener = None                   # a database's LISTEN/NOTIFY (listen_for_saves)
        self._after_load: list[Callable[[], object]] = []
        self._pending_mode: str | None = None         # the screen asked for while they were read
        self.key_warnings: list[str] = []
        taken = {b.key: b.description for b in node_bindings(self)}
        for item in self.nav.values():
            if item.key in taken:
                self.key_warnings.append(f"界面“{item.label}”的按键 {item.key} 已被“{taken[item.key]}”占用，"
                                         f"请用 Ctrl+P 打开，或在 keys.toml 中为 nav.{item.id} 另设按键")
                continue
            if item.key:
                taken[item.key] = item.label
                add_binding(self, Binding(item.key, f"app.open_screen('{item.id}')", item.label, id=f"nav.{item.id}",
                                          key_display=item.key.upper() if item.key.startswith("f") else None))
        for command in self.commands.values():
            if command.key in taken:
                self.key_warnings.append(f"命令“{command.title}”的按键 {command.key} 已被“{taken[command.key]}”占用")
                continue
            if command.key:
                taken[command.key] = command.title
                add_binding(self, Binding(command.key, f"app.run_command('{command.id}')", command.title, show=False,
                                          id=f"cmd.{command.id}"))
        self.keymap = load_keymap(workspace.root, self.binding_ids())
        if self.keymap.keys:
            self.set_keymap(self.keymap.keys)

    # --- start-up -----------------------------------------------------------------------------------
    def on_mount(self) -> None:
        """The first screen shows at once. A workspace opened without its children (``kbtui``, ``kbtui
        tui``: 100,000 children take seconds to read) gets them in a worker meanwhile: the dashboard's
        frame shows first and fills in, F1, Ctrl+P and q work, and a screen asked for opens once they are
        read (``when_children_loaded``)."""
        for warning in self.workspace.warnings + self.key_warnings + self.keymap.warnings:
            self.notify(warning, title="警告", severity="warning", timeout=8)
        for item in self.nav.values():
            self.add_mode(item.id, lambda item=item: self._make_screen(item))
        self.warm_up()
        self.children_loaded = self.workspace.children_loaded
        if self.children_loaded or self.start == FIRST_SCREEN or FIRST_SCREEN not in self.nav:
            self.switch_mode(self.start)
        else:
            self._pending_mode = self.start
            self.switch_mode(FIRST_SCREEN)
        if not self.children_loaded:
            self.call_after_refresh(self.load_children)      # after the first frame: it competes for the CPU
        self.listen_for_saves()

    # --- other operators' saves -----------------------------------------------------------------------
    def listen_for_saves(self) -> None:
        """On a district database, learn of other operators' saves (LISTEN/NOTIFY) and refresh the list or
        the dashboard shown; a data folder's own store has no listener (its screens re-read when shown)."""
        try:
            self._save_listener = self.workspace.save_listener()
        except StoreError as err:
            self.notify(f"{err}；其他操作员的保存需切换界面后才能看到", title="警告", severity="warning", timeout=8)
            return
        if self._save_listener is not None:
            self.set_interval(SAVES_EVERY_S, self._check_saves, name="saves")

    def _check_saves(self) -> None:
        """Whatever arrived on the listener's socket (no wait, no round trip when nothing did)."""
        listener = self._save_listener
        if listener is None or not self.children_loaded:
            return
        try:
            saved = listener.wait(0)
            changed = bool(saved) and self.workspace.refresh_children()
        except StoreError as err:
            self._save_listener = None
            listener.close()
            self.notify(f"{err}；其他操作员的保存需切换界面后才能看到", title="警告", severity="warning", timeout=8)
            return
        if changed:
            self.data_version = getattr(self, "data_version", 0) + 1
            others_saved = getattr(self.screen, "others_saved", None)
            if others_saved is not None:
                others_saved()

    def on_unmount(self) -> None:
        listener = getattr(self, "_save_listener", None)
        if listener is not None:
            listener.close()

    @work(thread=True, exclusive=True, group="load-children")
    def load_children(self) -> None:
        try:
            self.workspace.refresh_children()
        except StoreError as err:     # a damaged data file: the same message the CLI gives, then out
            message = f"错误：{err}"
            self.call_from_thread(lambda: self.exit(return_code=1, message=message))
            return
        self.call_from_thread(self._children_ready)

    def _children_ready(self) -> None:
        self.children_loaded = True
        callbacks, self._after_load = self._after_load, []
        for callback in callbacks:
            callback()
        if self._pending_mode:
            mode, self._pending_mode = self._pending_mode, None
            self.switch_mode(mode)

    def when_children_loaded(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` now if the children are read, else as soon as they are."""
        if self.children_loaded:
            callback()
        else:
            self._after_load.append(callback)

    def refuse_while_loading(self, what: str) -> bool:
        if self.children_loaded:
            return False
        self.notify(f"正在读取儿童名单，读完后{what}", title="请稍候", timeout=4)
        return True

    @staticmethod
    def _make_screen(item) -> Screen:
        """A navigation screen; one that does not name itself is titled by its label (the header would show
        the app's campaign line instead)."""
        screen = item.factory()
        if screen.sub_title is None:
            screen.sub_title = item.label
        return screen

    @work(thread=True, exclusive=True, group="warm-up")
    def warm_up(self) -> None:
        """Load the pinyin dictionaries in the background (0.5 s), before the first search needs them."""
        name_pinyin("张三")

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Textual's notify (screens' and widgets' too end here), for messages that quote data (a name, a
        cell, a service's error): always shown as data (``widgets.shown``: masked, control characters
        visible), never as markup whatever the caller says (Textual's widgets pass markup=True)."""
        super().notify(shown_str(self, message), title=shown_str(self, title), severity=severity,
                       timeout=timeout, markup=False)

    # --- keys -----------------------------------------------------------------------------------------
    def binding_ids(self) -> set[str]:
        """Every binding id the keymap may remap (app, navigation, commands and every core screen)."""
        from kbtui.tui.screens.help import screen_classes  # heavy: imported where used (on first visit)

        ids = {b.id for b in node_bindings(self) if b.id}
        for cls in screen_classes(self):
            for binding in _class_bindings(cls):
                if binding.id:
                    ids.add(binding.id)
        return ids

    # --- actions ----------------------------------------------------------------------------------------
    def action_open_screen(self, screen_id: str) -> None:
        if screen_id not in self.nav:
            self.notify(f"没有名为“{screen_id}”的界面", severity="error")
            return
        if not self.children_loaded:
            self._pending_mode = None if screen_id == FIRST_SCREEN else screen_id
            if screen_id != FIRST_SCREEN and self.refuse_while_loading(f"自动打开“{self.nav[screen_id].label}”"):
                return
        self.switch_mode(screen_id)

    def action_run_command(self, command_id: str) -> None:
        command = self.commands.get(command_id)
        if command is None or self.refuse_while_loading("请再试一次"):
            return
        try:
            command.run(self)
        except Exception as err:  # noqa: BLE001 - a plugin's command must not crash the app
            self.notify(f"命令“{command.title}”出错：{err}", severity="error")

    def action_help(self) -> None:
        from kbtui.tui.screens.help import HelpScreen  # heavy: imported where used (on first visit)

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # --- a list row in full ----------------------------------------------------------------------------
    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a list row that its screen did not take (widgets/list_table.py): the row in full."""
        if isinstance(event.data_table, ListTable):
            event.data_table.action_detail()

    def on_virtual_table_selected(self, event: VirtualTable.Selected) -> None:
        event.table.action_detail()

    # --- command palette ------------------------------------------------------------------------------
    def action_command_palette(self) -> None:
        if self.use_command_palette and not Palette.is_open(self):
            self.push_screen(Palette(id="--command-palette"))

    def action_change_theme(self) -> None:
        from kbtui.tui.screens.dialogs import PickerScreen  # heavy: imported where used (on first visit)

        options = [(name, label) for name, label in THEMES.items() if name in self.available_themes]

        def chosen(name: str | None) -> None:
            if name:
                self.theme = name

        self.push_screen(PickerScreen("选择配色", options, self.theme), chosen)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette: every screen, the plugins' commands, this screen's keys (not Textual's own Tab,
        Shift+Tab, Ctrl+C), help, colours, quit; all in Chinese (Textual's "Keys", "Screenshot" … are not
        offered)."""
        for item in self.nav.values():
            yield SystemCommand(f"打开：{item.label}", item.description or item.label,
                                lambda i=item.id: self.action_open_screen(i))
        for command in self.commands.values():
            yield SystemCommand(command.title, command.help or command.title,
                                lambda c=command.id: self.action_run_command(c))
        seen: set[str] = textual_actions(type(screen))
        for binding in node_bindings(screen):
            if binding.description and binding.action not in seen and not binding.system:
                seen.add(binding.action)
                yield SystemCommand(f"{binding.description}（本界面）", f"按键 {self.get_key_display(binding)}",
                                    lambda a=binding.action, s=screen: self.call_later(s.run_action, a))
        yield SystemCommand("帮助：全部按键", "列出每个界面的按键", self.action_help)
        yield SystemCommand("切换配色", "更换界面主题", self.action_change_theme)
        yield SystemCommand("退出", "退出工作台", self.action_quit)


def _core_only(registry: Registry) -> Registry:
    core: Registry = Registry(registry.kind)
    for name in registry.owned_by("core"):
        core.add(name, registry[name])
    return core


def _class_bindings(cls: type) -> list[Binding]:
    found = []
    for klass in reversed(cls.__mro__):
        for item in getattr(klass, "BINDINGS", []) if "BINDINGS" in klass.__dict__ else []:
            if isinstance(item, Binding):
                found.append(item)
    return found
