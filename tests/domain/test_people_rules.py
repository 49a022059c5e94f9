"""Roles and the dual-line assignment rules (熨斗 schools split villages, 鹿角 双线四包)."""
from kbtui.domain import responsibility as resp

YUNDOU = resp.Rules.from_section({
    "熨斗初级中学": ["金星村", "双坪村", "刘家湾村", "先联村", "沙湾村", "齐建村"],
    "熨斗镇中心小学": ["中河村", "板长村", "高兴村", "麦坪村", "茨林村", "瓦子沟村", "长岭村", "熨斗社区"],
})
SCHOOLS = ["熨斗初级中学", "熨斗镇中心小学"]


def child(n, village, group="1组", guardian=None, **extra):
    return {"id_number": f"id{n:03d}", "village": village, "group": group, "guardian": guardian or f"家长{n}", **extra}


def person(name, role, unit, covers=()):
    return {"name": name, "role": role, "unit": unit, "covers": list(covers)}


def test_role_titles():
    assert resp.normalize_role("熨斗镇中心小学副校长") == "学校领导"
    assert resp.normalize_role("村党支部书记") == "村干部"
    assert resp.normalize_role("周家村驻村领导") == "镇干部"
    assert resp.normalize_role("熨斗镇宣传委员") == "镇领导"
    assert resp.normalize_role("包校督学") == "督学"
    assert resp.normalize_role("班主任") == "班主任" and resp.line_of("班主任") == resp.EDU
    assert resp.line_of("组长") == resp.GOV and resp.line_of("派出所") is None
    assert resp.normalize_role("厨师") is None
    assert resp.split_covers("金星村/3组、金星村／4组;三年级1班") == ["金星村/3组", "金星村/4组", "三年级1班"]


def test_yundou_schools_split_villages_round_robin_by_household():
    children = [child(1, "金星村", guardian="甲"), child(2, "金星村", guardian="甲"),   # siblings
                child(3, "金星村", guardian="乙"), child(4, "双坪村", guardian="丙"),
                child(5, "中河村", guardian="丁"), child(6, "熨斗社区", guardian="戊")]
    people = [person("程老师", "教师", "熨斗初级中学"), person("万老师", "教师", "熨斗初级中学"),
              person("周老师", "教师", "熨斗镇中心小学"), person("金星书记", "村干部", "金星村")]
    plan = resp.plan_assignments(children, people, YUNDOU, SCHOOLS)
    edu = {i: p.get("responsible_edu") for i, p in plan.items()}
    assert edu["id001"] == edu["id002"]                      # one household, one teacher
    middle = {"程老师", "万老师"}
    assert {edu["id001"], edu["id003"], edu["id004"]} == middle   # spread over the middle school's teachers
    assert edu["id005"] == edu["id006"] == "周老师"            # primary school villages
    assert plan["id001"]["responsible_gov"] == "金星书记"
    assert "responsible_gov" not in plan["id004"]            # nobody in 双坪村 yet
    assert plan == resp.plan_assignments(list(reversed(children)), people, YUNDOU, SCHOOLS)   # deterministic


def test_lujiao_dual_line_four_levels_down_to_the_group():
    rules = resp.Rules.from_section({"model": "双线四包"})
    schools = ["鹿角中学", "鹿角中心校", "大元完小"]
    people = [person("周组长", "组长", "周家村", ["周家村/3组"]), person("王组长", "组长", "周家村", ["周家村/4组"]),
              person("王徐川", "村干部", "周家村"),
              person("三一班主任", "班主任", "鹿角中心校", ["三年级1班"]),
              person("任课甲", "教师", "鹿角中心校"), person("任课乙", "教师", "鹿角中心校")]
    children = [child(1, "周家村", "3组"), child(2, "周家村", "4组"), child(3, "周家村", "5组"),
                child(4, "周家村", "3组", school="鹿角中心校", grade="三年级", class_name="1班"),
                child(5, "周家村", "3组", school="鹿角中心校", grade="四年级", class_name="2班")]
    plan = resp.plan_assignments(children, people, rules, schools)
    assert [plan[f"id00{i}"]["responsible_gov"] for i in range(1, 6)] == \
        ["周组长", "王组长", "王徐川", "周组长", "周组长"]
    assert plan["id004"]["responsible_edu"] == "三一班主任"
    assert plan["id005"]["responsible_edu"] in {"任课甲", "任课乙"}
    assert "responsible_edu" not in plan["id001"]     # not at school, three schools, no village rule


def test_teacher_covering_a_village_takes_it():
    people = [person("程老师", "教师", "熨斗初级中学", ["双坪村"]), person("万老师", "教师", "熨斗初级中学")]
    plan = resp.plan_assignments([child(1, "双坪村"), child(2, "金星村")], people, YUNDOU, SCHOOLS)
    assert plan["id001"]["responsible_edu"] == "程老师"
    assert plan["id002"]["responsible_edu"] == "万老师"
