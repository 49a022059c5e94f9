"""A child's disability as recorded: category, grade and where it was learnt (each normalised from the
spellings the lists use), and ``DisabilityError``, the error of the whole disability area.

Records and documents are plain dicts (``Doc``; dates as ISO strings): the child record carries
``disability_category``, ``disability_grade``, ``disability_certificate``, ``disability_source`` and, once
decided, a summary of the current ``assessment`` and ``placement`` and (for 送教上门) ``home_delivery``
totals, so that ledger columns can be computed from the record; the ``assessments``, ``placements`` and
``delivery_sessions`` collections hold the full history.

The disability rules are pure (no store, no Textual) and live in four modules: this one (the disability
itself), ``disability_placement`` (assessment, placement options and their rules), ``home_delivery`` (the
frequency check) and ``disability_columns`` (ledger columns). Plugins take them from ``kbtui.api``; services
apply them (``kbtui.services.disability.placements``).
"""
from __future__ import annotations

from typing import Any

from kbtui.domain.child import Record

Doc = dict[str, Any]

CATEGORIES: tuple[str, ...] = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
GRADES: tuple[str, ...] = ("一级", "二级", "三级", "四级")
SOURCES: tuple[str, ...] = ("残联", "入户", "学校")      # 残联名单导入 / 入户排查 / 学校报告

_CATEGORY_ALIASES = {"视力残疾": "视力", "听力残疾": "听力", "言语残疾": "言语", "肢体残疾": "肢体",
                     "智力残疾": "智力", "精神残疾": "精神", "多重残疾": "多重", "盲": "视力", "聋": "听力"}
_GRADE_ALIASES = {"1": "一级", "2": "二级", "3": "三级", "4": "四级", "1级": "一级", "2级": "二级",
                  "3级": "三级", "4级": "四级", "一": "一级", "二": "二级", "三": "三级", "四": "四级"}
_SOURCE_ALIASES = {"残联名单": "残联", "残联导入": "残联", "入户排查": "入户", "走访": "入户", "学校报告": "学校"}


class DisabilityError(ValueError):
    """A disability, assessment or placement that cannot be accepted; the message is Chinese."""


def _one_of(value: object, aliases: dict[str, str], allowed, what: str) -> str:
    text = str(value or "").strip()
    text = aliases.get(text, text)
    if text not in allowed:
        raise DisabilityError(f"{what}“{value}”不对，应为：{'、'.join(allowed)}")
    return text


def normalize_category(value: object) -> str:
    return _one_of(value, _CATEGORY_ALIASES, CATEGORIES, "残疾类别")


def normalize_grade(value: object) -> str:
    return _one_of(value, _GRADE_ALIASES, GRADES, "残疾等级")


def normalize_source(value: object) -> str:
    return _one_of(value, _SOURCE_ALIASES, SOURCES, "残疾信息来源")


def source_of(record: Record) -> str:
    """Where the disability was learnt: ``disability_source``, else 残联 for a child on the 残联 list."""
    if record.get("disability_source"):
        return str(record["disability_source"])
    return "残联" if "disability" in (record.get("sources") or ()) else ""


def is_disabled(record: Record) -> bool:
    return bool(record.get("disability_category")) or "残疾" in (record.get("key_groups") or ())


__all__ = ["CATEGORIES", "GRADES", "SOURCES", "DisabilityError", "Doc", "is_disabled", "normalize_category",
           "normalize_grade", "normalize_source", "source_of"]
