"""Disabled children: disability categories and grades, the expert committee's assessment, placement
options with their rules and required evidence, and the home-delivery (送教上门) frequency check.

Pure rules: no store, no Textual. Plugins register placement options through
``kbtui_register_placements(registry)``; services apply them (``kbtui.services.disability.placements``).

Records and documents are plain dicts (dates as ISO strings):

- the child record carries ``disability_category``, ``disability_grade``, ``disability_certificate``,
  ``disability_source`` and, once decided, a summary of the current ``assessment`` and ``placement``
  and (for 送教上门) ``home_delivery`` totals, so that ledger columns can be computed from the record;
- ``assessments``, ``placements`` and ``delivery_sessions`` collections hold the full history.

This module is the public face (``from kbtui.domain import disability as d``); the rules live in
``disability_info`` (the disability itself), ``disability_placement`` (assessment, placement options and
rules), ``home_delivery`` (the frequency check) and ``disability_columns`` (ledger columns).
"""
from __future__ import annotations

# Re-exported so that every name the single disability module had is still importable from here.
from kbtui.domain.disability_columns import (
    age_column,
    assessment_column,
    assessment_of,
    delivery_column,
    in_cohort,
    placement_column,
    placement_of,
    record_column,
    situation_column,
)
from kbtui.domain.disability_info import (
    CATEGORIES,
    GRADES,
    SOURCES,
    DisabilityError,
    Doc,
    is_disabled,
    normalize_category,
    normalize_grade,
    normalize_source,
    source_of,
)
from kbtui.domain.disability_placement import (
    CAN_LEARN_ORDINARY,
    CANNOT_LEARN,
    COMMON_RULES,
    CONCLUSIONS,
    DISTANCE,
    EXEMPT,
    EXEMPTION,
    HOME_DELIVERY,
    INSTITUTION,
    MAINSTREAM,
    NEEDS_HOME_DELIVERY,
    NEEDS_SPECIAL_SCHOOL,
    PLACEMENT_FIELDS,
    SPECIAL_CLASS,
    SPECIAL_SCHOOL,
    STUDYING,
    Assessment,
    Finding,
    PlacementOption,
    Requirement,
    RuleInput,
    matches_recommendation,
    needs_assessment,
    needs_conclusion,
    needs_disability,
    needs_evidence,
    needs_field,
    needs_student_no,
    normalize_conclusion,
    placement_value,
    sorted_options,
)
from kbtui.domain.home_delivery import (
    SESSIONS_COLLECTION,
    Calendar,
    FrequencyRule,
    TermResult,
    current_term_result,
    delivery_by_term,
)
