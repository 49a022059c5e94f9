"""走访发现即立案 (seed 000, 双山镇2024年方案, 四（三）切实立行立改): a child found 失学, 疑似辍学 or 辍学 on
a visit (F4, ``kbtui visit``), in a filled-in ledger or by an edit gets a case at once (一生一案: reason,
persuader, support plan, every attempt), whatever the absence ladders say. The rung is reached on the day of
the finding and stays due until the case is opened (F8 P or ``kbtui escalation advance``, or by hand with
``kbtui case open``).
"""
from kbtui import hookimpl
from kbtui.api import FINDING, Ladder, Rung, Threshold, Unit

LADDER = Ladder(
    id="finding",
    title="走访发现失学辍学",
    trigger=FINDING,
    source="双山镇2024年排查工作方案：排查走访中发现的问题立行立改，对疑似辍学或辍学学生按“一生一案”要求开展劝返复学",
    description="走访认定失学、疑似辍学或辍学而尚无案卷的儿童：立即立案，明确劝返责任人，制定劝返和帮扶方案",
    rungs=(
        Rung("case", "立案（一生一案）", Threshold(1, Unit.CALENDAR_DAYS),
             "走访发现失学、疑似辍学或辍学：立案建档（一生一案），查明原因，明确劝返责任人，制定劝返和帮扶方案，启动劝返",
             "镇政府、学校", deadline_days=1, on_fail="按劝返流程逐级劝返；监护人拒不送学的启动依法控辍",
             opens_case=True),
    ),
)


@hookimpl
def kbtui_register_ladders(registry):
    registry.add(LADDER.id, LADDER)
