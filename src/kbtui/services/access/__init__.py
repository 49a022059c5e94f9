"""Access: who is working and what they may see and do.

``operators`` (operators.toml, roles and scopes) and ``operator_admin`` (adding and removing them), ``scope``
(the store limited to an operator's villages/schools), ``gate`` (``require`` a right), ``disclosure`` (what a
role sees masked), ``access`` (masked lists and journaled exports), ``audit`` (journal reading and
verification), ``backup`` / ``backup_archive`` (signed backups and restore). Import from the modules.
"""
