"""Risk: the early-warning list of children likely to drop out.

``risk`` (the score of each child, from absences, cases and visits), ``risk_trend`` (week by week),
``risk_export`` (the printable list), ``risk_work`` (结对帮扶 pairings, planned visits, early cases).
"""
