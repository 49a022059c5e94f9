"""走访录入 fast visit entry: pick a village, then record one child after another with few keys.

A digit picks the situation (1–9 the common ones, 0 the full list), Enter saves (a studying situation
first asks for the school) and the next child comes up at once; Tab reaches school, date (today by default), how, note,
visitors, reason and evidence. PageDown skips a child, PageUp goes back. Saving goes through
``services.campaign.visits.record_finding``.

Defaults keep the fast path short: the visitors (the operator's name at first) and how (入户 at
first; H cycles it) carry on from one child to the next; a studying situation (在籍在校, 外地就读 …)
asks for the school before saving, prefilled with the school on file (digit, Enter, Enter; Enter in the
school field itself saves at once); the reason row shows only for a problem
situation (失学/疑似辍学/辍学; R picks from DROPOUT_REASONS, the child's earlier reason is filled in);
evidence is optional, ``说明=路径`` items separated by ；, the path completed with →.
"""
from __future__ import annotations

import re

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from kbtui.domain import status as st
from kbtui.domain.child import Record, display
from kbtui.errors import StaleEditError, StoreError
from kbtui.services.campaign import visits
from kbtui.tui.screens.dialogs import FormDialog, FormField, PickerScreen
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.path_input import complete_path
from kbtui.tui.widgets.shown import DetailStatic, Static
from kbtui.tui.widgets.text_input import TextInput


class FindingPicker(Static, can_focus=True):
    """Shows the numbered situations and the one chosen; digits are handled by the screen."""


class EvidenceSuggester(Suggester):
    """Completes the file path of the last ``说明=路径`` item."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        head, sep, path = value.rpartition("=")
        if not sep or not path:
            return None
        done = complete_path(path)
        return head + sep + done if done else None


def split_names(text: str) -> list[str]:
    """走访人: names separated by 、 , ， ; ； or spaces."""
    return [name for name in re.split(r"[、,，;；\s]+", text) if name]


def split_evidence(text: str) -> list[str]:
    """佐证材料: ``说明=路径`` (or just 说明, a paper document) items separated by ； or ;."""
    return [item.strip() for item in re.split(r"[;；]", text) if item.strip()]


class VisitScreen(Screen):
    SUB_TITLE = "走访录入"
    BINDINGS = [
        Binding("enter", "save", "保存并下一个", id="visits.save"),
        Binding("r", "reason", "原因", id="visits.reason"),
        Binding("h", "cycle_how", "方式", id="visits.how"),
        Binding("pagedown", "step(1)", "跳过", key_display="PgDn", id="visits.next"),
        Binding("pageup", "step(-1)", "上一个", key_display="PgUp", id="visits.previous"),
        Binding("escape", "villages", "换村", id="visits.villages"),
        # the digits (0 = the full list) are shown on the screen itself, next to the situations
        Binding("0", "more", "其他情况", show=False, id="visits.more"),
        *[Binding(str(n), f"choose({n})", f"情况{n}", show=False, id=f"visits.finding{n}") for n in range(1, 10)],
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with Vertical(id="visit-villages"):
            yield Static("选择要走访的村（社区）：↑↓ 选择，Enter 开始", classes="dialog-title")
            yield OptionList(id="village-list")
        with Vertical(id="visit-entry"):
            yield DetailStatic(id="visit-card")
            yield FindingPicker(id="visit-picker")
            with Horizontal(classes="form-row"):
                yield Label("就读学校", classes="form-label")
                yield TextInput(id="v-school", classes="form-input")
            with Horizontal(classes="form-row"):
                yield Label("走访日期", classes="form-label")
                yield TextInput(id="v-date", classes="form-input", placeholder="默认今天")
                yield Label("核实方式(H)", classes="form-label")
                yield TextInput("入户", id="v-how", classes="form-input",
                                suggester=SuggestFromList(visits.HOW))
            with Horizontal(classes="form-row"):
                yield Label("备注", classes="form-label")
                yield TextInput(id="v-note", classes="form-input")
            with Horizontal(classes="form-row"):
                yield Label("走访人", classes="form-label")
                yield TextInput(id="v-visitors", classes="form-input", placeholder="多人用、分隔")
                yield Label("原因(R)", classes="form-label", id="v-reason-label")
                yield TextInput(id="v-reason", classes="form-input", placeholder="按 R 选择或直接输入",
                                suggester=SuggestFromList(st.DROPOUT_REASONS))
            with Horizontal(classes="form-row"):
                yield Label("佐证材料", classes="form-label")
                yield TextInput(id="v-evidence", classes="form-input", suggester=EvidenceSuggester(),
                                placeholder="可不填；说明=文件路径（→ 补全），多份用；分隔")
            yield Static(id="visit-status")
        yield KeyBar()

    def on_mount(self) -> None:
        workspace = self.app.workspace
        self.common = visits.common_findings(workspace)
        self.queue: list[Record] = []
        self.index = 0
        self.saved = 0
        self.village = ""
        self.finding: str | None = None
        self.query_one("#v-school", Input).suggester = SuggestFromList(
            list(workspace.profile.schools), case_sensitive=False)
        account = getattr(workspace, "account", None)
        self.query_one("#v-visitors", Input).value = (getattr(account, "name", "") or workspace.operator)
        self.show_reason(False)
        self.query_one("#visit-entry").display = False
        self.load_villages()

    # --- villages -----------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="visit-villages")
    def load_villages(self) -> None:
        counts = visits.village_counts(self.app.workspace, self.app.today)
        self.app.call_from_thread(self.show_villages, counts)

    def show_villages(self, counts: dict[str, tuple[int, int]]) -> None:
        option_list = self.query_one("#village-list", OptionList)
        option_list.clear_options()
        option_list.add_options([Option(f"{village}　待核实 {todo} / 排查范围 {total}", id=village)   # at once:
                                 for village, (todo, total) in counts.items()])     # one by one lays out each time
        if option_list.option_count:
            option_list.highlighted = 0
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.start(event.option.id)

    def start(self, village: str) -> None:
        self.village = village
        self.query_one("#visit-status", Static).update(f"正在读取 {village} 的名单…")
        self._load_queue(village)

    @work(thread=True, exclusive=True, group="visit-queue")
    def _load_queue(self, village: str) -> None:
        queue = visits.visit_queue(self.app.workspace, village, self.app.today)
        self.app.call_from_thread(self._queue_ready, queue)

    def _queue_ready(self, queue: list[Record]) -> None:
        self.queue, self.index, self.saved = queue, 0, 0
        self.query_one("#visit-villages").display = False
        self.query_one("#visit-entry").display = True
        self.show_child()

    # --- one child ----------------------------------------------------------------------------------
    @property
    def child(self) -> Record | None:
        return self.queue[self.index] if 0 <= self.index < len(self.queue) else None

    def show_child(self) -> None:
        record = self.child
        card = Text()
        if record is None:
            card.append(f"{self.village} 的名单已走完。本次录入 {self.saved} 人。按 Esc 换村。", style="bold")
            self.query_one("#visit-card", Static).update(card)
            self.query_one("#visit-picker", FindingPicker).update("")
            self.query_one("#visit-picker").focus()
            return
        c = self.app.workspace.context(self.app.today).classify(record)
        card.append(f"{record.get('name', '')}", style="bold")
        age = c.age if c.age is not None else "?"
        card.append(f"　{record.get('sex', '')}　{age}岁　{record.get('id_number', '')}\n")
        card.append(f"{display(record, 'village')}{display(record, 'group')}　{display(record, 'current_address')}\n")
        card.append(f"监护人 {display(record, 'guardian')} {display(record, 'guardian_phone')}　"
                    f"学校 {display(record, 'school') or '（无）'} {display(record, 'grade')}\n")
        card.append("现在：")
        card.append(c.situation + ("（按名单推定）" if c.derived else ""), style="bold")
        last = (record.get("status_history") or [])[-1:] or None
        if last:
            card.append(f"　上次：{last[0].get('date', '')} {last[0].get('by', '')}")
        self.query_one("#visit-card", Static).update(card)
        self.finding = None
        self.query_one("#v-school", Input).value = record.get("school") or ""
        self.query_one("#v-date", Input).value = self.app.today.isoformat()
        self.query_one("#v-note", Input).value = ""
        self.query_one("#v-evidence", Input).value = ""
        self.query_one("#v-reason", Input).value = record.get("status_reason") or ""
        self.draw_picker()
        self.query_one("#visit-picker").focus()
        self.query_one("#visit-status", Static).update(
            f"{self.village}　第 {self.index + 1} / {len(self.queue)} 人　本次已录入 {self.saved} 人")

    def draw_picker(self) -> None:
        text = Text()
        text.append("核实情况：")
        text.append(self.finding or "（按数字键选择）", style="bold reverse" if self.finding else "bold")
        text.append("\n")
        for n, label in enumerate(self.common, 1):
            text.append(f"{n}.", style="bold")
            text.append(f"{label}  ")
        text.append("0.", style="bold")
        text.append("其他…")
        self.query_one("#visit-picker", FindingPicker).update(text)
        self.show_reason(self.needs_reason())
        self.refresh_bindings()

    def needs_reason(self) -> bool:
        """A problem situation (失学 / 疑似辍学 / 辍学) is recorded with its reason."""
        situation = self.app.workspace.statuses.get(self.finding) if self.finding else None
        return situation is not None and situation.kind == st.Kind.PROBLEM

    def show_reason(self, shown: bool) -> None:
        self.query_one("#v-reason-label").display = shown
        self.query_one("#v-reason").display = shown

    # --- actions ------------------------------------------------------------------------------------
    def action_choose(self, number: int) -> None:
        if self.child is not None and 1 <= number <= len(self.common):
            self.finding = self.common[number - 1]
            self.draw_picker()

    def action_more(self) -> None:
        if self.child is None:
            return
        options = [(label, label) for label in visits.finding_choices(self.app.workspace)]

        def chosen(value: str | None) -> None:
            if value:
                self.finding = value
                self.draw_picker()
            self.query_one("#visit-picker").focus()

        self.app.push_screen(PickerScreen("选择核实情况", options, self.finding), chosen)

    def action_cycle_how(self) -> None:
        field = self.query_one("#v-how", Input)
        current = field.value.strip()
        index = visits.HOW.index(current) if current in visits.HOW else -1
        field.value = visits.HOW[(index + 1) % len(visits.HOW)]

    def action_reason(self) -> None:
        if self.child is None or not self.needs_reason():
            return
        field = self.query_one("#v-reason", Input)
        options = [(label, label) for label in st.DROPOUT_REASONS]

        def chosen(value: str | None) -> None:
            if value:
                field.value = value
            self.query_one("#visit-picker").focus()

        self.app.push_screen(PickerScreen("选择原因", options, field.value or None), chosen)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save(school_confirmed=event.input.id == "v-school")

    def needs_school(self) -> bool:
        """A studying situation (在籍在校, 外地就读 …) names the school the child attends."""
        situation = self.app.workspace.statuses.get(self.finding) if self.finding else None
        return situation is not None and situation.kind == st.Kind.STUDYING

    def ask_school(self) -> None:
        """Ask for the school before saving a studying situation (prefilled with the school on file)."""
        record = self.child or {}
        field = self.query_one("#v-school", Input)

        def school_given(values: dict | None) -> None:
            if values is not None:
                field.value = values["school"]
                self.action_save(school_confirmed=True)
            else:
                self.query_one("#visit-picker").focus()

        def required(values: dict) -> dict:
            if not values["school"]:
                raise ValueError(f"“{self.finding}”须写明就读学校")
            return values

        self.app.push_screen(FormDialog(
            f"{record.get('name', '')}：{self.finding}", [
                FormField("school", "就读学校", field.value.strip(), "学校全称，按 → 补全",
                          suggestions=tuple(self.app.workspace.profile.schools))],
            hint="在读的情况须写明就读学校（已按名单填好的可直接按 Enter 确认）", accept=required), school_given)

    def action_save(self, school_confirmed: bool = False) -> None:
        record = self.child
        if record is None:
            return
        if not self.finding:
            self.notify("请先按数字键选择核实情况（0 为其他情况）", severity="warning")
            self.query_one("#visit-picker").focus()
            return
        how = self.query_one("#v-how", Input).value.strip() or "入户"
        if how not in visits.HOW:
            self.notify(f"核实方式“{how}”不对，可选：{'、'.join(visits.HOW)}（H 切换）", severity="warning")
            self.query_one("#v-how").focus()
            return
        if self.needs_school() and not school_confirmed:
            self.ask_school()
            return
        reason = self.query_one("#v-reason", Input).value.strip() if self.needs_reason() else ""
        try:
            saved = visits.record_finding(
                self.app.workspace, record["id_number"], self.finding,
                school=self.query_one("#v-school", Input).value,
                date=self.query_one("#v-date", Input).value,
                note=self.query_one("#v-note", Input).value,
                how=how, visitors=split_names(self.query_one("#v-visitors", Input).value),
                evidence=split_evidence(self.query_one("#v-evidence", Input).value),
                reason=reason or None,
                seen=record, today=self.app.today)
        except StaleEditError as err:
            self.queue[self.index] = err.current
            self.notify(f"{err}。已载入最新版本，请确认后再按 Enter。", severity="warning", timeout=8)
            finding = self.finding
            self.show_child()
            self.finding = finding
            self.draw_picker()
            return
        except StoreError as err:       # VisitError, EvidenceError (a file that cannot be read) …
            self.notify(str(err), severity="error", timeout=8)
            return
        self.queue[self.index] = saved
        self.saved += 1
        self.app.data_version = getattr(self.app, "data_version", 0) + 1
        self.notify(f"已保存：{saved.get('name', '')} → {self.finding}", timeout=2)
        self.index += 1
        self.show_child()

    def action_step(self, delta: int) -> None:
        if self.queue:
            self.index = max(0, min(self.index + delta, len(self.queue)))
            self.show_child()

    def action_villages(self) -> None:
        self.query_one("#visit-entry").display = False
        self.query_one("#visit-villages").display = True
        self.load_villages()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Entry keys only while walking a village; the village list only needs Enter."""
        walking = self.query_one("#visit-entry").display
        if action in ("save", "step", "more", "choose", "villages", "cycle_how"):
            return walking
        if action == "reason":
            return walking and self.child is not None and self.needs_reason()
        return True
