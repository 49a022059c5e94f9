"""National practice: the 适龄儿童台账 (``school-age``: every child of the campaign's cohorts, with his
situation and responsible person).

The two other county ledgers of national practice are the escalation plugin's and are not registered
again here: 疑似辍学学生台账 is ``suspected-dropout`` and 辍学学生台账 is ``dropout``
(``kbtui_plugins.escalation.ledgers``: 缺课开始日期, 标注日期, 原因, 劝返责任人, 劝返情况). A profile lists
all three: ``[ledgers] enabled = ["school-age", "suspected-dropout", "dropout"]``.
"""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.api import Ledger
from kbtui.api import ledger_columns as lc
from kbtui_plugins.ledgers import _columns as cols

SCHOOL_AGE = Ledger(
    id="school-age",
    title="{township}{year}年适龄儿童台账",
    sheet="适龄儿童台账",
    description="排查范围内的全部适龄儿童：户籍类别、就读学校、学籍号、就学情况、责任人",
    include=cols.in_campaign,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.group(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.age(), lc.origin(),
        lc.guardian(), lc.phone(), lc.school(), lc.grade(), lc.student_no(), lc.situation("就学情况"),
        cols.responsible(), lc.note(),
    ),
)

#: The national trio: this ledger and the escalation plugin's two.
NATIONAL_LEDGERS = ("school-age", "suspected-dropout", "dropout")


@hookimpl
def kbtui_register_ledgers(registry) -> None:
    registry.add(SCHOOL_AGE.id, SCHOOL_AGE)
