"""The four ledgers of the 双山镇 2024 survey (seed 000), for any township whose profile has that shape.

| id | ledger | who |
|---|---|---|
| in-school-local | 在籍在校适龄儿童台账（本镇籍） | local cohort, in school with 学籍 |
| in-school-nonlocal | 在籍在校适龄儿童入学台账（非本镇籍） | non-local cohort, in school |
| not-in-school | 未在校适龄儿童台账 | either cohort, enrolled but not attending (or not enrolled) |
| deferred | 适龄儿童缓学台账 | local cohort, age 6 on the cutoff day, not in school |

Titles use the profile's township, year, ``[campaign] term_name`` (秋期) and ``[ledgers] local_label`` /
``nonlocal_label`` (双山籍 / 非双山籍; default 本镇籍 / 非本镇籍). Rows are sorted by village, group, name.
"""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.api import Ledger
from kbtui.api import ledger_columns as lc

PREFIX = "{township}{year}年{term}义务教育阶段"

_VISIT = (lc.situation(), lc.surveyor(), lc.note())


def _in_school_local(record, ctx) -> bool:
    return lc.is_local_cohort(record, ctx) and lc.is_studying(record, ctx)


def _in_school_nonlocal(record, ctx) -> bool:
    return lc.is_nonlocal_cohort(record, ctx) and lc.is_studying(record, ctx)


IN_SCHOOL_LOCAL = Ledger(
    id="in-school-local",
    title=PREFIX + "在籍在校适龄儿童台账（{local_label}）",
    sheet="在籍在校台账",
    description="本镇籍适龄儿童中在籍在校的（含随班就读、送教上门、外地就读）",
    include=_in_school_local,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.group(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(),
        lc.school(), lc.grade(), lc.class_name(), lc.student_no(), lc.guardian(), lc.phone(), *_VISIT,
    ),
)

IN_SCHOOL_NONLOCAL = Ledger(
    id="in-school-nonlocal",
    title=PREFIX + "在籍在校适龄儿童入学台账（{nonlocal_label}）",
    sheet="入学台账",
    description="学籍在本镇学校、户籍不在本镇的适龄儿童中在籍在校的",
    include=_in_school_nonlocal,
    sort_key=lc.natural_sort,
    columns=(
        lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.household_address(),
        lc.current_address(), lc.school(), lc.grade(), lc.class_name(), lc.student_no(), lc.guardian(),
        lc.phone(), *_VISIT,
    ),
)

NOT_IN_SCHOOL = Ledger(
    id="not-in-school",
    title=PREFIX + "未在校适龄儿童台账",
    sheet="未在校台账",
    description="两类适龄儿童中在籍未在校（休学、疑似辍学、辍学等）或未入学的",
    include=lc.is_not_in_school,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.group(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.origin(),
        lc.school(), lc.grade(), lc.student_no(), lc.enrollment_status(), lc.reason("未在校原因"),
        lc.guardian(), lc.phone(), *_VISIT,
    ),
)

DEFERRED = Ledger(
    id="deferred",
    title=PREFIX + "适龄儿童缓学台账",
    sheet="缓学台账",
    description="截止日满6周岁（本地排查最小年龄）、未就读小学一年级的本镇籍儿童",
    include=lc.is_deferral_case,
    sort_key=lc.natural_sort,
    columns=(
        lc.village(), lc.group(), lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.age(),
        lc.guardian(), lc.phone(), lc.deferral_done(), lc.reason("缓学原因"), *_VISIT,
    ),
)

LEDGERS = (IN_SCHOOL_LOCAL, IN_SCHOOL_NONLOCAL, NOT_IN_SCHOOL, DEFERRED)


@hookimpl
def kbtui_register_ledgers(registry) -> None:
    for ledger in LEDGERS:
        registry.add(ledger.id, ledger)
