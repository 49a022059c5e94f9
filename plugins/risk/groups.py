"""Early-warning factors about who the child is: family type, key groups, disability without placement.

鹿角 2024 (seed 002) names the pupils to watch: 家庭困难、身体残疾、随迁子女、留守儿童、返乡儿童 and
学习困难 (学困生); 山亭 2019 (seed 004) adds 孤儿、建档立卡贫困户、低保、特困供养 and the disabled children
who must each have a placement; 双城 2020 (seed 003) 服刑人员子女 and 困境儿童.
"""
from kbtui import hookimpl
from kbtui.api import Hit, RiskFactor, is_disabled


def family(child, params):
    family_type = str(child.record.get("family_type") or "")
    points = params["points"].get(family_type, 0)
    return Hit(points, f"家庭类型为{family_type}") if points else None


def key_groups(child, params):
    groups = [g for g in child.record.get("key_groups") or () if params["points"].get(g, 0)]
    if not groups:
        return None
    total = sum(params["points"][g] for g in groups)
    capped = min(total, params["max"]) if params["max"] else total
    more = f"（合计{total}分，最多计{params['max']}分）" if capped < total else ""
    return Hit(capped, "、".join(groups) + more)


def disability(child, params):
    record = child.record
    if not is_disabled(record) or record.get("placement"):
        return None
    category = record.get("disability_category") or "残疾"
    return Hit(params["points"], f"{category}儿童，尚未评估安置（随班就读、送教上门等）")


FACTORS = (
    RiskFactor("family", "家庭类型", family,
               {"points": {"监测户": 15, "脱贫户": 10, "低保户": 10, "特困供养": 15}},
               "脱贫户、监测户、低保户、特困供养家庭的子女，按家庭类型计分",
               "鹿角镇2024（家庭困难）；山亭区2019（建档立卡、低保、特困供养）"),
    RiskFactor("key_groups", "重点群体", key_groups,
               {"points": {"孤儿": 20, "事实无人抚养": 20, "留守儿童": 10, "随迁子女": 5, "返乡儿童": 10,
                           "服刑人员子女": 15, "困境儿童": 15, "学困生": 15}, "max": 30},
               "每个重点群体计分，合计不超过 max（残疾另由“残疾未安置”计）",
               "鹿角镇2024（随迁子女、留守儿童、返乡儿童、学习困难）；双城区2020；山亭区2019"),
    RiskFactor("disability", "残疾未安置", disability, {"points": 30},
               "有残疾（残疾类别或重点群体“残疾”）而没有安置方式的儿童",
               "山亭区2019（各类残疾儿童得到适合的教育安置）；双城区2020（残疾人教育专家委员会）"),
)


@hookimpl
def kbtui_register_risk_factors(registry):
    for factor in FACTORS:
        registry.add(factor.id, factor)
