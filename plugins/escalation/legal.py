"""依法控辍 (义务教育法第五十八条; seeds 002 鹿角, 003 双城, 004 山亭).

Starts when the guardian refuses (recorded on the case): the town criticises and orders a correction
within a deadline (责令限期改正通知书); overdue → the justice office issues judicial documents
(督促监护令); 屡劝不返 → legal liability. Each step produces a printable document.
"""
from kbtui import hookimpl
from kbtui.api import REFUSAL, Ladder, Rung, Threshold, Unit

ORDER_DAYS = 15

LADDER = Ladder(
    id="legal",
    title="依法控辍流程",
    trigger=REFUSAL,
    source="《中华人民共和国义务教育法》第五十八条；鹿角镇、双城区、山亭区方案",
    description="监护人拒不送学：镇政府责令限期改正，逾期由司法所发放督促监护令，情节严重依法追究法律责任",
    rungs=(
        Rung("order", "责令限期改正", Threshold(1, Unit.CALENDAR_DAYS),
             f"镇政府对监护人批评教育，下达责令限期改正通知书（限{ORDER_DAYS}日内送子女返校）", "镇政府",
             deadline_days=3, on_fail="supervision", document="责令限期改正通知书", notice_days=ORDER_DAYS),
        Rung("supervision", "督促监护令", Threshold(ORDER_DAYS + 4, Unit.CALENDAR_DAYS),
             "逾期不改正：镇政府报司法所（司法局）依法发放督促监护令，敦促监护人尽早送子女复学", "司法所",
             deadline_days=5, on_fail="liability", document="督促监护令", notice_days=10),
        Rung("liability", "追究法律责任", Threshold(ORDER_DAYS + 35, Unit.CALENDAR_DAYS),
             "屡劝不返、拒不复学：通过法律途径依法追究监护人法律责任", "镇政府、司法机关",
             deadline_days=10, on_fail="依法处理", document="提请依法追究监护人法律责任函"),
    ),
)


@hookimpl
def kbtui_register_ladders(registry):
    registry.add(LADDER.id, LADDER)
