"""总览 dashboard: the campaign's phases against today, counts, progress bars per village, plugin panels.

The counts classify every child, so they are computed in a worker; the screen shows at once (the
campaign's phases need no child), with a loading indicator where the counts go until they are in — also
while the app is still reading the children (``KbtuiApp.when_children_loaded``), unless the counts kept
on disk are still those of every village file (``services.children.counts``). Counts are kept per village
file and the panels' bodies with the data version (``services.dashboard.PanelBodies``): coming back to the
dashboard recomputes only what changed; 刷新 (r) renders the panels afresh.
"""
from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen

from kbtui.services.dashboard import (
    Dashboard,
    cached_dashboard,
    campaign_heading,
    current_phase,
    dashboard_before_load,
    panel_bodies,
    towns_progress,
)
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.bars import LABEL_CELLS, bar_chart, pair_grid
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.shown import Static


class DashboardScreen(Screen):
    SUB_TITLE = "总览"
    BINDINGS = [Binding("r", "reload", "刷新", id="dashboard.reload")]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll(id="dash", can_focus=True):
            yield Static(id="dash-campaign", classes="panel")
            with Horizontal(id="dash-top"):
                yield Static("正在统计…", id="dash-counts", classes="panel")
                yield Static(id="dash-status", classes="panel")
            yield Vertical(id="dash-plugins")
            yield Static(id="dash-progress", classes="panel")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#dash").focus()
        for panel in self.panels():
            self.query_one("#dash-plugins").mount(
                Static(f"{panel.title}\n正在读取…", id=f"panel-{panel.id}", classes="panel"))
        self.query_one("#dash-campaign", Static).update(self.campaign_text())
        kept = None if self.app.children_loaded else dashboard_before_load(self.app.workspace, self.app.today)
        if kept is not None:
            self.show(kept)
        else:
            if not self.app.children_loaded:
                self.query_one("#dash-counts", Static).update("正在读取儿童名单…")
            self.query_one("#dash-top").loading = True
        self.app.when_children_loaded(self.request_reload)

    def on_screen_resume(self) -> None:
        if self.app.children_loaded:
            self.request_reload()

    def others_saved(self) -> None:
        """Another operator saved (the app refreshed the store): the counts again."""
        self.request_reload()

    def request_reload(self) -> None:
        """Reload once for all the requests made until the reload runs.

        A screen shown for the first time gets its mount and then two resume events from Textual (one from
        the mode's set-up, one from the switch): reloading for each computed the counts and the panels up to
        three times at start, every time classifying every child, in one worker thread per panel (at 100,000
        children: twice the start-up CPU and ~30 MB more peak memory)."""
        if not getattr(self, "_reload_requested", False):
            self._reload_requested = True
            self.call_later(self._run_requested_reload)

    def _run_requested_reload(self) -> None:
        self._reload_requested = False
        self.reload_dashboard(fresh=False)

    def action_reload(self) -> None:
        self.reload_dashboard(fresh=True)

    def reload_dashboard(self, fresh: bool) -> None:
        """Counts of the changed village files, and the panels (those whose data and day are unchanged
        are shown as they were unless ``fresh``)."""
        # the current campaign may have been switched meanwhile (kbtui campaign switch)
        self.query_one("#dash-campaign", Static).update(self.campaign_text())
        self.compute(fresh)

    def render_panels(self, fresh: bool) -> None:
        for panel in self.panels():
            self.render_panel(panel, fresh)

    def panels(self) -> list:
        """The plugin panels for this workspace, in their order."""
        workspace = self.app.workspace
        return [p for p in sorted(self.app.panels.values(), key=lambda p: p.order) if p.shown_in(workspace)]

    def campaign_text(self) -> Text:
        app = self.app
        title, states = campaign_heading(app.workspace, app.today)
        now = current_phase(states)
        text = Text()
        text.append(title, style="bold")
        account = app.workspace.account
        who = app.workspace.operator
        if app.workspace.profile.district is not None and account is not None:   # who sees which towns
            who = f"{who}（{account.role}，{account.scope_text()}）"
        text.append(f"\n今天 {app.today:%Y-%m-%d}　操作员 {who}　")
        text.append(f"当前阶段：{now.name}" if now else "各阶段均已截止", style="bold")
        for state in states:
            mark = "✓" if state.done else ("▶" if state is now else "·")
            style = "" if state.done else ("bold" if state is now else "")
            text.append(f"\n {mark} {set_cell_size(state.name, 14)} {state.label}", style=style)
        return text

    @work(thread=True, exclusive=True, group="dashboard")
    def compute(self, fresh: bool = False) -> None:
        """The counts, then the panels: started together, the panels' workers took most of the interpreter
        from the counts (at 100,000 children the counts showed after 5.6 s instead of ~1.5 s)."""
        data = cached_dashboard(self.app.workspace, self.app.today)
        self.app.call_from_thread(self.show, data)
        self.app.call_from_thread(self.render_panels, fresh)

    def show(self, data: Dashboard) -> None:
        counts = Text()
        counts.append("人数\n", style="bold")
        counts.append(f"名单儿童　{data.children}\n排查范围　{data.in_campaign}\n")
        counts.append(f"待核实　　{data.pending}", style="bold")
        counts.append("\n\n待核实（按村）\n", style="bold")
        pending = sorted(data.pending_by_village.items(), key=lambda kv: -kv[1])
        # a district's villages carry their town (城头镇新村): as wide as they need, up to a bar's label
        width = max(10, min(max((cell_len(v) for v, _n in pending[:8]), default=0), LABEL_CELLS))
        for village, n in pending[:8]:
            counts.append(f"{set_cell_size(village, width)} {n:>5}\n")
        if not pending:
            counts.append("（无）\n")
        self.query_one("#dash-counts", Static).update(counts)
        self.query_one("#dash-top").loading = False

        status = Text()
        status.append("按核实情况\n", style="bold")
        for label, n in list(data.by_status.items())[:14]:
            status.append(f"{set_cell_size(label, 16)} {n:>6}\n")
        if len(data.by_status) > 14:
            rest = sum(list(data.by_status.values())[14:])
            status.append(f"{set_cell_size('其他', 16)} {rest:>6}\n")
        self.query_one("#dash-status", Static).update(status)

        progress = Text()
        progress.append("各村核实进度（已核实 / 排查范围内）\n", style="bold")
        width = max(self.size.width - 6, 40)
        progress.append("\n".join(bar_chart(data.progress, width)))
        progress.append("\n\n按村人数\n", style="bold")
        progress.append("\n".join(pair_grid(data.by_village.items(), width)))
        self.query_one("#dash-progress", Static).update(progress)

    @work(thread=True, group="dashboard-panels")
    def render_panel(self, panel, fresh: bool = True) -> None:
        try:
            body = panel_bodies(self.app.workspace).body(self.app.workspace, panel.id, self.app.today, panel.render,
                                                         fresh=fresh)
        except Exception as err:  # noqa: BLE001 - a plugin's panel must not break the dashboard
            body = f"（面板出错：{err}）"
        text = Text()
        text.append(panel.title + "\n", style="bold")
        widget = self.query_one(f"#panel-{panel.id}", Static)
        if isinstance(body, str):
            text.append(body)
            self.app.call_from_thread(widget.update, text)
        else:
            from rich.console import Group

            self.app.call_from_thread(widget.update, Group(text, body))


def towns_panel(workspace, today, width: int = 72) -> str:
    """The district's progress per town, with the whole district last (a dashboard panel's text)."""
    rows = towns_progress(workspace, today)
    done, total = sum(d for d, _t in rows.values()), sum(t for _d, t in rows.values())
    return "\n".join(bar_chart({**rows, "全区合计": (done, total)} if rows else {}, width))
