"""The public API for plugin authors: every type a hook hands out or expects, from one module.

``from kbtui.api import Ledger, Column, Report, Ladder, PlacementOption, Situation, RiskFactor …`` — the
modules these come from may move; this module's names stay. It is the only sanctioned re-export in kbtui
(docs/plugins.md lists every name with the hook it belongs to); the stock plugins in ``plugins/`` import
nothing else from kbtui but the ``hookimpl`` marker.

The TUI names (``NavItem``, ``DashboardPanel``, ``Command``, widgets, dialogs and the stock screens) and the
services' names are loaded on first use, so that a plugin adding only a ledger or a check does not load
Textual or the services when the data folder is opened: import them inside the hook that needs them.
"""
from __future__ import annotations

import importlib
import types
from typing import Any

from kbtui import hookimpl
from kbtui.domain import disability_columns, disability_info, disability_placement, home_delivery, ledger_columns
from kbtui.domain.calendar import to_date
from kbtui.domain.child import Record, age_on_cutoff, birth_date
from kbtui.domain.classify import Classification
from kbtui.domain.disability_info import is_disabled
from kbtui.domain.disability_placement import (
    CANNOT_LEARN,
    PlacementOption,
    Requirement,
    RuleInput,
    needs_assessment,
    needs_conclusion,
    needs_disability,
    needs_evidence,
    needs_field,
    needs_student_no,
)
from kbtui.domain.escalation import (
    DROPOUT,
    FINDING,
    REFUSAL,
    RETURNED,
    SUSPECTED,
    Episode,
    Ladder,
    Rung,
    Threshold,
    Unit,
)
from kbtui.domain.ledger import Column, Ledger, LedgerContext, SheetColumn, SheetSpec, field_column
from kbtui.domain.report import (
    Report,
    ReportColumn,
    ReportContext,
    ReportError,
    by_field,
    by_school,
    by_town,
    by_village,
    count,
    profile_towns,
    rate,
    school_sections,
    total_of,
    town_sections,
)
from kbtui.domain.risk import ChildFacts, Hit, RiskContext, RiskFactor, band_points, cn_date, words_in
from kbtui.domain.status import (
    DROPOUT_REASONS,
    OUTSIDE_COHORT,
    PENDING_VISIT,
    Kind,
    Situation,
    StatusRegistry,
)
from kbtui.registry import DuplicateError, Registry

#: The whole disability vocabulary in one namespace (``from kbtui.api import disability as d``: ``d.MAINSTREAM``,
#: ``d.record_column`` …): the public names (``__all__``) of the four modules the rules live in.
disability = types.SimpleNamespace(**{
    name: getattr(module, name)
    for module in (disability_info, disability_placement, home_delivery, disability_columns)
    for name in module.__all__})

#: Names loaded on first use: name → "module:attribute".
_LATER = {
    # a ledger column's formula (the Excel writer's type: openpyxl is loaded with it)
    "Formula": "kbtui.excel.cells:Formula",
    # data checks (kbtui_register_checks)
    "Check": "kbtui.services.intake.checks:Check",
    "CheckContext": "kbtui.services.intake.checks:CheckContext",
    "check_conflicts": "kbtui.services.intake.merge:check_conflicts",
    # source kinds (kbtui_register_sources)
    "Source": "kbtui.services.intake.sources:Source",
    "STOCK_SOURCES": "kbtui.services.intake.sources:STOCK_SOURCES",
    "CellError": "kbtui.services.intake.sources:CellError",
    # the 儿童 list's columns (kbtui_register_list_columns)
    "ListColumn": "kbtui.services.children.child_list:ListColumn",
    # what the stock dashboard panels read
    "disabled_children": "kbtui.services.disability.placement_check:disabled_children",
    "COMPLIANCE_ORDER": "kbtui.services.disability.placement_check:COMPLIANCE_ORDER",
    # TUI entries (kbtui_register_screens, _dashboard_panels, _commands)
    "NavItem": "kbtui.tui.navigation:NavItem",
    "DashboardPanel": "kbtui.tui.navigation:DashboardPanel",
    "Command": "kbtui.tui.navigation:Command",
    # widgets and dialogs for a plugin's own screens
    "KeyBar": "kbtui.tui.widgets.keybar:KeyBar",
    "TextInput": "kbtui.tui.widgets.text_input:TextInput",
    "ListTable": "kbtui.tui.widgets.list_table:ListTable",
    "Static": "kbtui.tui.widgets.shown:Static",
    "DataTable": "kbtui.tui.widgets.shown:DataTable",
    "shown": "kbtui.tui.widgets.shown:shown",
    "Dialog": "kbtui.tui.screens.dialogs:Dialog",
    "FormDialog": "kbtui.tui.screens.dialogs:FormDialog",
    "FormField": "kbtui.tui.screens.dialogs:FormField",
    "PromptDialog": "kbtui.tui.screens.dialogs:PromptDialog",
    "ConfirmScreen": "kbtui.tui.screens.dialogs:ConfirmScreen",
    "PickerScreen": "kbtui.tui.screens.dialogs:PickerScreen",
    "DetailDialog": "kbtui.tui.screens.dialogs:DetailDialog",
    # the core's screens and panel texts that the stock plugins register
    "CasesScreen": "kbtui.tui.screens.cases:CasesScreen",
    "cases_panel": "kbtui.tui.screens.cases:dashboard_text",
    "CalendarScreen": "kbtui.tui.screens.school_calendar:CalendarScreen",
    "DisabledChildrenScreen": "kbtui.tui.screens.placement:DisabledChildrenScreen",
    "ReportsScreen": "kbtui.tui.screens.reports:ReportsScreen",
    "RiskScreen": "kbtui.tui.screens.risk:RiskScreen",
    "risk_panel": "kbtui.tui.screens.risk:panel_text",
    "overdue_tasks_panel": "kbtui.tui.screens.tasks:overdue_panel",
    "towns_panel": "kbtui.tui.screens.dashboard:towns_panel",
    "sees_several_towns": "kbtui.services.children.places:sees_several_towns",
}


def __getattr__(name: str) -> Any:
    where = _LATER.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = where.split(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = sorted([
    "hookimpl", "Registry", "DuplicateError",
    # situations
    "Kind", "Situation", "StatusRegistry", "DROPOUT_REASONS", "OUTSIDE_COHORT", "PENDING_VISIT",
    # records and ledgers
    "Record", "age_on_cutoff", "birth_date", "to_date", "Classification", "is_disabled",
    "Column", "Ledger", "LedgerContext", "SheetColumn", "SheetSpec", "field_column", "ledger_columns",
    # reports
    "Report", "ReportColumn", "ReportContext", "ReportError", "by_field", "by_school", "by_village", "count",
    "rate", "total_of",
    # districts (towns, with subtotals per town)
    "by_town", "profile_towns", "school_sections", "town_sections",
    # escalation
    "Ladder", "Rung", "Threshold", "Unit", "Episode", "DROPOUT", "SUSPECTED", "RETURNED", "REFUSAL", "FINDING",
    # disability
    "disability", "PlacementOption", "Requirement", "RuleInput", "CANNOT_LEARN", "needs_assessment",
    "needs_conclusion", "needs_disability", "needs_evidence", "needs_field", "needs_student_no",
    # early warning
    "RiskFactor", "Hit", "ChildFacts", "RiskContext", "band_points", "cn_date", "words_in",
    *_LATER,
])
