"""Responsibility (双线): roles of the two lines and the rules that give every child a responsible
person of each line.

Government line: town → village → group → household (镇领导, 镇干部, 村干部, 组长).
Education line: bureau → school → class teacher → teacher (校长, 学校领导, 班主任, 教师).

A person is a dict ``{name, role, unit, phone, covers}``: ``unit`` is a village or a school, ``covers``
an optional list of what the person 包 (is responsible for): ``"金星村"``, ``"金星村/3组"`` or, for
school staff, a class ``"三年级1班"``. Rules (pure, deterministic):

- 熨斗: the profile's ``[responsibility]`` maps each school to its villages; the school's teachers take
  the households of those villages in turn (round-robin by household), or the villages/groups they cover.
- 鹿角 双线四包: village cadres and group leaders 包 their groups, class teachers their classes.
"""
from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]
Person = dict[str, Any]

GOV = "gov"
EDU = "edu"
LINE_LABELS = {GOV: "政府线", EDU: "教育线"}
FIELD_OF_LINE = {GOV: "responsible_gov", EDU: "responsible_edu"}

GOV_ROLES = ("镇领导", "镇干部", "教育专干", "村干部", "组长")
EDU_ROLES = ("县教育局", "督学", "校长", "学校领导", "班主任", "教师", "学籍管理员")
OTHER_ROLES = ("派出所", "民政", "残联", "其他")
ROLES: tuple[str, ...] = GOV_ROLES + EDU_ROLES + OTHER_ROLES

# Who takes households in the rules (the others lead, check or supply lists).
GOV_FIELD_ROLES = ("组长", "村干部")            # in order of closeness to the household
EDU_FIELD_ROLES = ("班主任", "教师")
EDU_FALLBACK_ROLES = ("学校领导", "校长")

# Titles as they appear in real registers → role. Exact matches first, then "contains" rules.
ROLE_SYNONYMS: dict[str, str] = {
    "镇长": "镇领导", "副镇长": "镇领导", "书记": "镇领导", "镇党委书记": "镇领导", "人大主席": "镇领导",
    "驻村领导": "镇干部", "驻村干部": "镇干部", "包村干部": "镇干部", "镇干部": "镇干部",
    "教育工作负责人": "教育专干", "教育专干": "教育专干", "社事办": "教育专干",
    "支部书记": "村干部", "村支书": "村干部", "村党支部书记": "村干部", "村主任": "村干部",
    "村委会主任": "村干部", "社区书记": "村干部", "社区主任": "村干部", "村干部": "村干部", "村文书": "村干部",
    "组长": "组长", "村民小组长": "组长", "小组长": "组长", "社长": "组长",
    "校长": "校长", "副校长": "学校领导", "教务主任": "学校领导", "德育主任": "学校领导", "教导主任": "学校领导",
    "班主任": "班主任", "教师": "教师", "老师": "教师", "科任教师": "教师", "任课教师": "教师",
    "学籍管理员": "学籍管理员", "学籍员": "学籍管理员",
    "派出所": "派出所", "民警": "派出所", "户籍民警": "派出所", "所长": "派出所",
    "督学": "督学", "责任督学": "督学", "包校督学": "督学", "局领导": "县教育局", "教育局": "县教育局",
}
_CONTAINS = (("副校长", "学校领导"), ("校长", "校长"), ("班主任", "班主任"), ("督学", "督学"),
             ("教育局", "县教育局"), ("教体局", "县教育局"), ("派出所", "派出所"), ("民警", "派出所"),
             ("学籍", "学籍管理员"), ("组长", "组长"), ("支部书记", "村干部"), ("村主任", "村干部"),
             ("驻村", "镇干部"), ("镇长", "镇领导"), ("委员", "镇领导"), ("教育专干", "教育专干"),
             ("教师", "教师"), ("老师", "教师"), ("民政", "民政"), ("残联", "残联"))


def normalize_role(text: Any) -> str | None:
    """The role a title names (``"熨斗镇中心小学副校长"`` → 学校领导), or None when unknown."""
    raw = "".join(str(text or "").split())
    if not raw:
        return None
    if raw in ROLES:
        return raw
    if raw in ROLE_SYNONYMS:
        return ROLE_SYNONYMS[raw]
    for word, role in _CONTAINS:
        if word in raw:
            return role
    return None


def line_of(role: str | None) -> str | None:
    if role in GOV_ROLES:
        return GOV
    if role in EDU_ROLES:
        return EDU
    return None


def split_covers(text: Any) -> list[str]:
    """A ``covers`` cell → items: separated by 、，,；; or new lines, each ``村`` or ``村/组`` or a class."""
    if isinstance(text, (list, tuple)):
        items = [str(t) for t in text]
    else:
        raw = str(text or "")
        for sep in "、，,；;\n":
            raw = raw.replace(sep, "|")
        items = raw.split("|")
    return [i.strip().replace("／", "/") for i in items if i.strip()]


def household_key(record: Record) -> tuple:
    """Children of one household share the key (village, group, guardian or address, and a district's town:
    two towns' 新村 1组 are two places)."""
    who = record.get("guardian") or record.get("household_address") or record.get("id_number") or ""
    return (record.get("village") or "", record.get("group") or "", who, record.get("town") or "")


def class_label(record: Record) -> str:
    return f"{record.get('grade') or ''}{record.get('class_name') or ''}"


def covers_place(person: Person, village: str, group: str) -> int:
    """How closely a person's ``covers`` match a place: 2 = the group, 1 = the village, 0 = not."""
    best = 0
    for item in person.get("covers") or ():
        v, _, g = item.partition("/")
        if v == village:
            if not g:
                best = max(best, 1)
            elif g == group:
                return 2
    return best


@dataclass(frozen=True)
class Rules:
    """The profile's ``[responsibility]``: school → villages it covers (熨斗), and the model's name."""

    school_villages: Mapping[str, Sequence[str]]
    model: str = ""

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> Rules:
        mapping = {k: list(v) for k, v in section.items() if isinstance(v, list)}
        return cls(mapping, str(section.get("model", "")))

    def schools_for_village(self, village: str) -> list[str]:
        return [s for s, villages in self.school_villages.items() if village in villages]


def covering_school(record: Record, rules: Rules, schools: Sequence[str]) -> str | None:
    """Which school's staff visit this child: the school covering the village (熨斗); else the child's
    own school when it is one of the township's; else the only school of the township."""
    by_village = rules.schools_for_village(record.get("village") or "")
    if by_village:
        return by_village[0]
    if record.get("school") in schools:
        return record["school"]
    return schools[0] if len(schools) == 1 else None


def _round_robin(households: list[tuple], pool: list[Person]) -> dict[tuple, str]:
    names = sorted({p["name"] for p in pool})
    return {h: names[i % len(names)] for i, h in enumerate(sorted(households))}


def plan_assignments(records: Iterable[Record], people: Iterable[Person], rules: Rules,
                     schools: Sequence[str]) -> dict[str, dict[str, str]]:
    """Who should be responsible for each child: id_number → {"responsible_gov": name, "responsible_edu": name}.

    A line without a suitable person is left out for that child. Deterministic: same input, same plan.
    """
    records = list(records)
    people = [p for p in people if p.get("name")]
    plan: dict[str, dict[str, str]] = defaultdict(dict)

    # Government line: the closest covering person (group > village), else the village's own people.
    gov_people = [p for p in people if p.get("role") in GOV_FIELD_ROLES + ("镇干部",)]
    pools: dict[int, list[Person]] = {}
    pool_households: dict[int, set] = defaultdict(set)
    member_of: dict[str, int] = {}
    numbers: dict[tuple, int] = {}
    gov_pool_of = functools.cache(
        lambda village, group: _with_id(numbers, GOV, _best_gov_pool(gov_people, village, group)))
    for record in records:
        pool_id, pool = gov_pool_of(record.get("village") or "", record.get("group") or "")
        if not pool:
            continue
        pools[pool_id] = pool
        pool_households[pool_id].add(household_key(record))
        member_of[record["id_number"]] = pool_id
    gov_choice = {pid: _round_robin(sorted(hh), pools[pid]) for pid, hh in pool_households.items()}
    for record in records:
        pid = member_of.get(record["id_number"])
        if pid is not None:
            plan[record["id_number"]]["responsible_gov"] = gov_choice[pid][household_key(record)]

    # Education line: the class teacher of the child's class, else the covering school's teachers.
    edu_people = [p for p in people if p.get("role") in EDU_FIELD_ROLES + EDU_FALLBACK_ROLES]
    class_teacher: dict[tuple[str | None, str], Person] = {}     # (school, class) -> 班主任
    for person in edu_people:
        if person.get("role") == "班主任":
            for label in person.get("covers") or ():
                class_teacher.setdefault((person.get("unit"), label), person)
    edu_pool_of = functools.cache(lambda school, village, group: _with_id(numbers, (EDU, school), _best_edu_pool(
        [p for p in edu_people if p.get("unit") == school], {"village": village, "group": group})))
    pools, pool_households, member_of = {}, defaultdict(set), {}
    for record in records:
        label = class_label(record)
        teacher = class_teacher.get((record.get("school"), label)) if label else None
        if teacher:
            plan[record["id_number"]]["responsible_edu"] = teacher["name"]
            continue
        school = covering_school(record, rules, schools)
        if school is None:
            continue
        pool_id, pool = edu_pool_of(school, record.get("village") or "", record.get("group") or "")
        if not pool:
            continue
        pools[pool_id] = pool
        pool_households[pool_id].add(household_key(record))
        member_of[record["id_number"]] = pool_id
    edu_choice = {pid: _round_robin(sorted(hh), pools[pid]) for pid, hh in pool_households.items()}
    for record in records:
        pid = member_of.get(record["id_number"])
        if pid is not None:
            plan[record["id_number"]]["responsible_edu"] = edu_choice[pid][household_key(record)]
    return dict(plan)


def _with_id(numbers: dict[tuple, int], line: Any, pool: list[Person]) -> tuple[int, list[Person]]:
    """A pool with a small id, the same for the same set of people (households share out within it)."""
    members = (line, tuple(sorted(id(p) for p in pool)))
    return numbers.setdefault(members, len(numbers)), pool


def _best_gov_pool(people: list[Person], village: str, group: str) -> list[Person]:
    by_group = [p for p in people if covers_place(p, village, group) == 2]
    if by_group:
        return by_group
    by_village = [p for p in people if covers_place(p, village, group) == 1]
    if by_village:
        return by_village
    for role in GOV_FIELD_ROLES:
        # people of the village who cover nothing in particular
        own = [p for p in people if p.get("role") == role and p.get("unit") == village and not p.get("covers")]
        if own:
            return own
    return []


def _best_edu_pool(people: list[Person], record: Record) -> list[Person]:
    village, group = record.get("village") or "", record.get("group") or ""
    by_group = [p for p in people if covers_place(p, village, group) == 2]
    if by_group:
        return by_group
    by_village = [p for p in people if covers_place(p, village, group) == 1]
    if by_village:
        return by_village
    free = [p for p in people if p.get("role") in EDU_FIELD_ROLES and not p.get("covers")]
    if free:
        return free
    return [p for p in people if p.get("role") in EDU_FALLBACK_ROLES and not p.get("covers")]
