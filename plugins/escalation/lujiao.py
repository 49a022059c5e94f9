"""鹿角镇 ladder (seed 002, 重庆市彭水县鹿角镇 2024): 辍学报告制 and 双线四包.

48小时未到校又未履行请假手续 → 立即向镇政府和县教委报告; then the 双线 persuasion (镇村干部与学校
领导、教师, 明确劝返责任人, 劝返、关爱和帮扶计划); 经劝返仍不到校或无法联系 → 书面报告教育主管部门.
"""
from kbtui import hookimpl
from kbtui.api import DROPOUT, SUSPECTED, Ladder, Rung, Threshold, Unit

LADDER = Ladder(
    id="lujiao",
    title="鹿角镇辍学报告与双线劝返流程",
    source="鹿角镇2024年义务教育阶段控辍保学工作实施方案",
    description="48小时未到校未请假立即报告镇政府和县教委，双线四包劝返，劝返无效书面报告",
    rungs=(
        Rung("report-48h", "48小时报告", Threshold(48, Unit.HOURS),
             "立即向学生所在地镇政府和县教委报告（辍学报告制），学籍系统标注疑似辍学", "学校",
             deadline_days=0, on_fail="dual-line", marks=SUSPECTED, opens_case=True),
        Rung("dual-line", "双线劝返", Threshold(3, Unit.SCHOOL_DAYS),
             "双线四包：镇村干部与学校领导、班主任共同上门劝返，明确劝返责任人，制定劝返、关爱和帮扶计划",
             "镇政府、学校", deadline_days=2, on_fail="written-report"),
        Rung("written-report", "书面报告", Threshold(1, Unit.MONTHS),
             "经劝返仍不到校或无法联系：学校书面报告县教委，标注辍学，配合镇政府继续劝返", "学校",
             deadline_days=3, on_fail="监护人拒不送学的，由镇政府责令限期改正（依法控辍）", marks=DROPOUT),
    ),
)


@hookimpl
def kbtui_register_ladders(registry):
    registry.add(LADDER.id, LADDER)
