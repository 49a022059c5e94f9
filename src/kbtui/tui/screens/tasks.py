"""任务 screen: where the campaign is (phase, days left), visit tasks per village as progress bars, per
person (both lines) with what is done and late, and the late tasks themselves."""
from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable

from kbtui.services.campaign import tasks
from kbtui.services.campaign.overview import campaign_overview
from kbtui.services.campaign.tasks_kept import kept_task_summary
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.bars import bar_chart, headed_grid, pair_grid
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.shown import Static


def campaign_line(overview: dict) -> Text:
    text = Text()
    text.append(overview["campaign"]["title"], style="bold")
    if overview["current_phase"]:
        text.append(f"\n当前阶段：{overview['current_phase']}（剩 {overview['days_left']} 天）", style="bold")
    else:
        text.append("\n各阶段均已截止", style="bold")
    if overview["overdue_phases"]:
        text.append("　已截止：" + "、".join(overview["overdue_phases"]))
    t = overview["tasks"]
    text.append(f"\n走访任务 {t['assigned']}：已完成 {t['done']}，未完成 {t['open']}，")
    text.append(f"逾期 {t['late']}", style="bold reverse" if t["late"] else "")
    if t["unassigned"]:
        text.append(f"，未分配责任人 {t['unassigned']}")
    if overview.get("visit_deadline"):
        text.append(f"（期限 {overview['visit_deadline'].replace('T', ' ')}）")
    return text


class TasksScreen(Screen):
    SUB_TITLE = "任务"
    DEFAULT_CSS = """
    #tasks-scroll { height: 1fr; }
    #tasks-people, #tasks-late { height: auto; max-height: 14; }
    .tasks-title { height: 1; text-style: bold; padding: 0 1; }
    """
    BINDINGS = [
        Binding("r", "reload", "刷新", id="tasks.reload"),
        Binding("o", "toggle_overdue", "只看逾期/全部", id="tasks.overdue"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll(id="tasks-scroll"):
            yield Static("正在统计…", id="tasks-campaign", classes="panel")
            yield Static(id="tasks-villages", classes="panel")
            yield Static("按人（两条线）", classes="tasks-title")
            yield ListTable(id="tasks-people")
            yield Static("逾期任务", id="tasks-late-title", classes="tasks-title")
            yield ListTable(id="tasks-late")
        yield KeyBar()

    def on_mount(self) -> None:
        self.only_late = True
        people = self.query_one("#tasks-people", DataTable)
        for label in ("责任人", "线", "任务", "完成", "逾期"):
            people.add_column(label)
        late = self.query_one("#tasks-late", DataTable)
        for label in ("姓名", "村（社区）", "组", "情况", "政府线", "教育线", "状态"):
            late.add_column(label)
        self.action_reload()

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.compute()

    def action_toggle_overdue(self) -> None:
        self.only_late = not self.only_late
        self.action_reload()

    @work(thread=True, exclusive=True, group="tasks")
    def compute(self) -> None:
        workspace, today = self.app.workspace, self.app.today
        overview = campaign_overview(workspace, today)
        report = tasks.task_report(workspace, today, overdue=self.only_late)
        self.app.call_from_thread(self.show, overview, report)

    def show(self, overview: dict, report: dict) -> None:
        self.query_one("#tasks-campaign", Static).update(campaign_line(overview))
        rows = {v["village"] or "（未分村）": (v["done"], v["assigned"]) for v in report["by_village"]}
        text = Text()
        text.append("各村走访任务（已完成 / 任务）\n", style="bold")
        text.append("\n".join(bar_chart(rows, max(self.size.width - 6, 40))))
        late_villages = [(v["village"] or "（未分村）", v["late"]) for v in report["by_village"] if v["late"]]
        if late_villages:
            text.append("\n逾期任务（按村）\n", style="bold")
            text.append("\n".join(pair_grid(late_villages, max(self.size.width - 6, 40))), style="bold")
        self.query_one("#tasks-villages", Static).update(text)

        people = self.query_one("#tasks-people", DataTable)
        people.clear()
        for p in report["by_person"]:
            people.add_row(p["person"], p["line_label"], str(p["assigned"]), str(p["done"]),
                           str(p["late"]) if p["late"] else "")
        late = self.query_one("#tasks-late", ListTable)
        labels = {"open": "未完成", "late": "逾期", "done": "已完成"}
        late.show_rows([(row["id_number"], (row["name"], row["village"], row["group"], row["situation"],
                                            row["gov"] or "—", row["edu"] or "—", labels[row["state"]]))
                        for row in report["tasks"]])
        title = "逾期任务" if self.only_late else "全部任务"
        self.query_one("#tasks-late-title", Static).update(
            f"{title} {len(report['tasks'])} 项{late.window_note()}　o 切换")


def overdue_panel(workspace, today) -> str:
    """Dashboard panel text: late visit tasks by village and person (in aligned columns: a name never on
    one line and its number on the next). The counts are kept per village file (``tasks_kept``)."""
    report = kept_task_summary(workspace, today)
    totals = report["totals"]
    if not totals["assigned"]:
        return "没有走访任务。"
    lines = [f"走访任务 {totals['assigned']} 项：已完成 {totals['done']}，未完成 {totals['open']}，"
             f"逾期 {totals['late']}" + (f"，未分配责任人 {totals['unassigned']}" if totals["unassigned"] else "")]
    lines += headed_grid("逾期（按村）：", [(v["village"] or "（未分村）", v["late"]) for v in report["by_village"]
                                      if v["late"]])
    late_people = sorted((p for p in report["by_person"] if p["late"]), key=lambda p: -p["late"])[:5]
    lines += headed_grid("逾期（按人）：", [(p["person"], p["late"]) for p in late_people])
    return "\n".join(lines)
