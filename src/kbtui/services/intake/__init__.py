"""Intake: the Excel name lists coming in.

``importer`` (prepare and apply an import), ``sources`` (the list kinds: police, schools …), ``import_check``
(row by row checks), ``merge`` (one child from several lists, conflicts), ``checks`` (the plausibility checks
run over the children, extended by plugins), ``child_ids`` (matching masked ID numbers). Import from the modules.
"""
