"""Reporting: the ledgers (台账) and reports (报表) going out, and ledgers coming back filled in.

For the CLI (``kbtui ledger …``) and the TUI::

    infos = ledger_catalog.list_ledgers(workspace)                   # id, title, rows
    result = ledger_export.export_ledger(workspace, "in-school-local", path, village=None, progress=cb)
    plan = ledger_import.plan_ledger_import(workspace, path)         # what would change, child by child
    outcome = ledger_import.apply_ledger_import(workspace, plan)     # journaled, stale rows refused

``progress(done, total)`` is called while rows are written.

``ledger_catalog`` (which ledgers, per village), ``ledger_export`` (writing one), ``ledger_marker`` (the hidden
sheet ``_kbtui`` naming a file's ledger, the record field of each column, which columns may be filled in and
when it was exported), ``ledger_import`` (reading a filled ledger back: by the marker, or, if the sheet was lost
because another program re-saved the file, by the ledger's title and headers), ``reports`` (the registered
reports). Import from the modules.
"""
