"""Reporting: the ledgers (台账) and reports (报表) going out, and ledgers coming back filled in.

``ledger_catalog`` (which ledgers, per village), ``ledger_export`` (writing one), ``ledger_marker`` (the hidden
sheet naming a file's ledger and columns), ``ledger_import`` (reading a filled ledger back), ``ledgers`` (the
names the screens use, from those four), ``reports`` (the registered reports). Import from the modules.
"""
