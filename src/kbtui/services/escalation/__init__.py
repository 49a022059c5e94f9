"""Escalation: absent children followed up the ladder.

``absences`` (absence records), ``attendance_sheets`` (daily sheets and the import of either kind),
``cases`` (一生一案 case files, returns), ``escalation`` (ladders, due actions, attempts on a rung),
``case_forms`` (printed letters and the case record). Lower first: absences < cases < escalation <
case_forms; ``EscalationError`` lives in ``services.lookup``.
"""
