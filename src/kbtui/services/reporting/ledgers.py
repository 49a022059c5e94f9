"""Ledgers (台账) out and back in: list, export as a printable form, import a ledger filled in offline.

For the CLI (``kbtui ledger …``) and the TUI::

    infos = list_ledgers(workspace)                                  # id, title, rows
    result = export_ledger(workspace, "in-school-local", path, village=None, progress=cb)
    plan = plan_ledger_import(workspace, path)                       # what would change, child by child
    outcome = apply_ledger_import(workspace, plan)                   # journaled, stale rows refused

``progress(done, total)`` is called while rows are written.

An exported workbook carries a hidden sheet ``_kbtui`` naming the ledger, the record field of each
column, which columns may be filled in, and when it was exported. The import reads it to know which
column is which field; if the sheet was lost (the file re-saved by another program) the ledger is
recognised by its title and headers instead.

This module is the public face; the work is done in ``ledger_catalog`` (look up, list),
``ledger_export`` (write the form), ``ledger_marker`` (the hidden sheet) and ``ledger_import`` (read back).
"""
from __future__ import annotations

# Re-exported so that every name the single ledgers module had is still importable from here.
from kbtui.services.reporting.ledger_catalog import LedgerError, LedgerInfo, get_ledger, list_ledgers
from kbtui.services.reporting.ledger_export import ExportResult, Progress, default_export_name, export_ledger
from kbtui.services.reporting.ledger_import import (
    ACTION,
    ChildUpdate,
    FieldChange,
    LedgerImportPlan,
    RowProblem,
    apply_ledger_import,
    plan_ledger_import,
)
from kbtui.services.reporting.ledger_marker import FORMAT, MARKER, MARKER_SHEET, column_keys

__all__ = ["ExportResult", "LedgerError", "LedgerImportPlan", "LedgerInfo", "apply_ledger_import",
           "export_ledger", "list_ledgers", "plan_ledger_import"]
