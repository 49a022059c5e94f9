"""National practice: 疑似辍学 after more than a week (5 school days) without valid reason, 辍学 after
more than a month."""
from kbtui import hookimpl
from kbtui.api import DROPOUT, SUSPECTED, Ladder, Rung, Threshold, Unit

LADDER = Ladder(
    id="national",
    title="疑似辍学、辍学认定流程",
    source="国家控辍保学工作通行口径",
    description="无正当理由缺课超过一周标注疑似辍学，超过一个月认定辍学",
    rungs=(
        Rung("suspected", "超过一周", Threshold(6, Unit.SCHOOL_DAYS),
             "无正当理由缺课超过一周：学籍系统标注疑似辍学，纳入疑似辍学学生台账，明确劝返责任人启动劝返",
             "学校", deadline_days=1, on_fail="dropout", marks=SUSPECTED, opens_case=True),
        Rung("dropout", "超过一个月", Threshold(1, Unit.MONTHS),
             "缺课超过一个月：认定辍学，纳入辍学学生台账，报镇政府和县教育局，继续劝返", "学校",
             deadline_days=3, on_fail="监护人拒不送学的启动依法控辍", marks=DROPOUT),
    ),
)


@hookimpl
def kbtui_register_ladders(registry):
    registry.add(LADDER.id, LADDER)
