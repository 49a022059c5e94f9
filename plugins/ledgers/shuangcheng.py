"""双城区 2020 (seed 003): the end-of-August register by category and the eight targeted categories.

- ``shuangcheng-register`` 义务教育阶段适龄儿童少年分类登记台账: children of the cohort who are 失学, 辍学,
  区域内就读无学籍 or 省内外就读无学籍 (每年8月底前分类登记), by category
- ``shuangcheng-register-towns`` 分类登记汇总表 (report): the register counted per 街道/乡/镇 by category, with
  the district's total (区级政府全面摸清本区域底数)
- ``shuangcheng-targeted`` 控辍保学八类精准施策台账: children of the cohort in one of the eight categories of 四(四)
  积极精准施策, the measure the plan requires and the measure taken

The 免予入学 roster is the disability plugin's ``exemption-roster``.
"""
from __future__ import annotations

from kbtui import hookimpl
from kbtui.api import Ledger, Report, by_town, count, profile_towns, total_of
from kbtui.api import ledger_columns as lc
from kbtui_plugins.ledgers import _columns as cols

PREFIX = "{township}{year}年"

#: 每年8月底前，分类登记失学、辍学、区域内就读无学籍、省内外就读无学籍等情况 (疑似辍学 is registered with 辍学).
REGISTER_CATEGORIES = {"失学": "失学", "辍学": "辍学", "疑似辍学": "辍学", "区域内就读无学籍": "区域内就读无学籍",
                       "省内外就读无学籍": "省内外就读无学籍"}
REGISTER_ORDER = ("失学", "辍学", "区域内就读无学籍", "省内外就读无学籍")

#: The eight categories (方案 四(四) 积极精准施策) and the measure the plan requires for each.
TARGETED = (
    ("区域内就读无学籍", "区教育部门统筹指导所在学校尽快办理转学和学籍注册"),
    ("省内外就读无学籍", "逐一摸排，登记姓名、身份证号，汇总后逐级报市教育局、省教育厅、教育部"),
    ("延缓入学", "监护人书面申请，区教育部门审批备案，到期后按规定入学"),
    ("短期出国", "监护人书面申请并提供证明，审批后保留学籍"),
    ("打工务农、在家就读、入寺入教", "与监护人沟通劝返复学，户籍地为主、流入地配合，就近入学、编入相应年级并建立学籍；"
                           "阻碍子女接受义务教育的由司法部门视情节启动相应程序"),
    ("因病因残、重病重残", "因病办理休学并在学籍系统标注，好转后及时复学；因残按专家委员会评估结果随班就读或送教上门；"
                    "确不具备学习条件的建立免予入学档案"),
    ("户籍原因、失踪失联", "公安部门审查后作出结论，教育部门据此变更或注销学籍信息"),
    ("学困厌学", "劝返后个性化教学；劝返难度较大的经监护人申请可到职业学校完成义务教育，学籍保留在义务教育学校"),
)
POLICE_CONCLUSIONS = ("死亡", "户籍迁出", "重复户籍", "查无此人", "年龄不符", "失踪失联")
ILLNESS = ("休学", "免予入学")


def register_category(record, ctx) -> str:
    return REGISTER_CATEGORIES.get(ctx.classify(record).situation, "")


def _in_register(record, ctx) -> bool:
    return lc.is_local_cohort(record, ctx) and bool(register_category(record, ctx))


def targeted_category(record, ctx) -> int:
    """1..8 (the plan's order), or 0 when the child is in none of the eight categories."""
    label = ctx.classify(record).situation
    reason = str(record.get("status_reason") or "")
    if label in cols.NO_REGISTRY:
        return 1 + cols.NO_REGISTRY.index(label)
    if label == "延缓入学":
        return 3
    if label == "出国":
        return 4
    if label in ILLNESS:
        return 6
    if label in POLICE_CONCLUSIONS:
        return 7
    if label == cols.VOCATIONAL:
        return 8
    if label in cols.PROBLEMS:
        if "学习困难" in reason or "厌学" in reason:
            return 8
        if "因病" in reason or "因残" in reason:
            return 6
        return 5
    return 0


def _targeted_name(record, ctx) -> str:
    n = targeted_category(record, ctx)
    return f"{n}.{TARGETED[n - 1][0]}" if n else ""


def _required_measure(record, ctx) -> str:
    n = targeted_category(record, ctx)
    return TARGETED[n - 1][1] if n else ""


def _in_targeted(record, ctx) -> bool:
    return lc.is_local_cohort(record, ctx) and targeted_category(record, ctx) > 0


REGISTER = Ledger(
    id="shuangcheng-register",
    title=PREFIX + "义务教育阶段适龄儿童少年分类登记台账",
    sheet="分类登记台账",
    description="8月底前分类登记：失学、辍学（含疑似辍学）、区域内就读无学籍、省内外就读无学籍",
    include=_in_register,
    sort_key=lambda record: (REGISTER_ORDER.index(REGISTER_CATEGORIES[record["status"]])
                             if record.get("status") in REGISTER_CATEGORIES else 9, *lc.natural_sort(record)),
    columns=(
        lc.computed("类别", register_category, 14), lc.village(), lc.group(),
        lc.name(), lc.sex(), lc.id_number(), lc.birth_date(), lc.age(), lc.household_address(),
        lc.guardian(), lc.phone(), lc.school(), lc.grade(), lc.situation("当前情况", 12), lc.reason(),
        cols.measure("处理情况"), cols.responsible(), lc.note(),
    ),
)

TARGETED_LEDGER = Ledger(
    id="shuangcheng-targeted",
    title=PREFIX + "控辍保学八类精准施策台账",
    sheet="精准施策台账",
    description="方案规定的八类情况（无学籍就读、延缓入学、短期出国、打工务农、因病因残、户籍原因、学困厌学等）及采取的措施",
    include=_in_targeted,
    sort_key=lambda record: (_sort_category(record), *lc.natural_sort(record)),
    columns=(
        lc.computed("类别", _targeted_name, 16), lc.village(), lc.name(), lc.sex(),
        lc.id_number(), lc.age(), lc.situation("当前情况", 12), lc.reason(),
        lc.computed("方案规定措施", _required_measure, 30), cols.measure("采取的措施", 24), cols.responsible(),
        cols.visit_date("办理日期"), lc.note(),
    ),
)


def _sort_category(record) -> int:
    """Sort key without a context: the category from the recorded finding and reason."""
    from kbtui.api import Classification

    class _Fixed:
        def classify(self, _record):
            return Classification(True, "local", None, record.get("status") or "", False)

    return targeted_category(record, _Fixed())


LEDGERS = (REGISTER, TARGETED_LEDGER)


def _category_is(category: str):
    return lambda record, ctx: register_category(record, ctx) == category


REGISTER_BY_TOWN = Report(
    id="shuangcheng-register-towns",
    title=PREFIX + "义务教育阶段适龄儿童少年分类登记汇总表",
    subtitle="每年8月底前分类登记（区教育局汇总各街道、乡镇）",
    columns=(*(count(c, f"category:{c}", _category_is(c), 8) for c in REGISTER_ORDER),
             total_of("合计", "registered", [f"category:{c}" for c in REGISTER_ORDER], 6)),
    include=_in_register,
    group_by=by_town,
    groups=profile_towns,
    label_header="街道、乡（镇）",
    notes=("注：疑似辍学计入辍学；每名儿童见分类登记台账。",),
    sheet="分类登记汇总",
    description="8月底前分类登记台账按街道、乡（镇）汇总：失学、辍学、区域内就读无学籍、省内外就读无学籍，全区合计",
)


@hookimpl
def kbtui_register_ledgers(registry) -> None:
    for ledger in LEDGERS:
        registry.add(ledger.id, ledger)


@hookimpl
def kbtui_register_reports(registry) -> None:
    registry.add(REGISTER_BY_TOWN.id, REGISTER_BY_TOWN)
