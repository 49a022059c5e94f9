"""The kbtui Textual application."""
from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from kbtui.services.workspace import Workspace
from kbtui.tui.navigation import navigation


class KbtuiApp(App):
    TITLE = "控辍保学工作台"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("q", "quit", "退出", id="app.quit"),
        Binding("ctrl+q", "quit", "退出", show=False, id="app.quit_ctrl"),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.sub_title = f"{workspace.profile.title}  操作员：{workspace.operator}"

        self.nav = navigation(workspace.plugins)
        for item in self.nav.values():
            if item.key:
                self.bind(item.key, f"open_screen('{item.id}')", description=item.label)

    def on_mount(self) -> None:
        for warning in self.workspace.warnings:
            self.notify(warning, title="插件警告", severity="warning", timeout=8)
        self.action_open_screen("children")

    def action_open_screen(self, screen_id: str) -> None:
        self.push_screen(self.nav[screen_id].factory())
