"""双城区 ladder (seed 003, 黑龙江省哈尔滨市双城区 2020):

班主任: 无故3日未到校 → 家访或与监护人联系; 无故7日 → 动员劝返, 无效报告校长.
校长: 无故7日 → 家访或联系监护人; 无故一个月 → 落实专人劝返; 劝返后仍不返校 → 学籍标注
疑似辍学/辍学, 报乡(镇)政府和区教育局. The seed gives no number for "still absent after the dedicated
persuader": this plugin marks 疑似辍学 at one month and 辍学 at 45 days; a county plugin may change it.
"""
from kbtui import hookimpl
from kbtui.api import DROPOUT, SUSPECTED, Ladder, Rung, Threshold, Unit

LADDER = Ladder(
    id="shuangcheng",
    title="双城区控辍保学逐级劝返流程",
    source="双城区2020年控辍保学工作方案",
    description="班主任3日、7日，校长7日、一个月，劝返无效标注并报镇政府和区教育局",
    rungs=(
        Rung("teacher-3", "班主任3日", Threshold(3, Unit.SCHOOL_DAYS),
             "家访或与监护人电话联系，核实未到校原因", "班主任", deadline_days=1, on_fail="teacher-7"),
        Rung("teacher-7", "班主任7日", Threshold(7, Unit.SCHOOL_DAYS),
             "动员劝返；劝返后仍不返校的，及时向校长报告", "班主任", deadline_days=1, on_fail="principal-7"),
        Rung("principal-7", "校长7日", Threshold(7, Unit.SCHOOL_DAYS),
             "校长家访或与监护人联系核实情况", "校长", deadline_days=2, on_fail="principal-month"),
        Rung("principal-month", "校长一个月", Threshold(1, Unit.MONTHS),
             "落实专人（劝返责任人）做动员劝返工作，建立一生一案；学籍系统标注疑似辍学", "校长",
             deadline_days=3, on_fail="report", marks=SUSPECTED, opens_case=True),
        Rung("report", "标注辍学并上报", Threshold(45, Unit.CALENDAR_DAYS),
             "劝返后仍不返校：学籍管理员标注辍学，报乡（镇）政府和区教育局，配合开展劝返复学",
             "校长", deadline_days=3, on_fail="乡（镇）政府、区教育局接续劝返；监护人拒不送学的启动依法控辍",
             marks=DROPOUT),
    ),
)


@hookimpl
def kbtui_register_ladders(registry):
    registry.add(LADDER.id, LADDER)
