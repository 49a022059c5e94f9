"""A synthetic township: realistic children for trying kbtui and for benchmarks. Same seed, same data."""
from __future__ import annotations

import datetime as dt
import importlib
import random
from dataclasses import dataclass
from pathlib import Path

from kbtui.bulk import gc_paused
from kbtui.domain.child import Record
from kbtui.domain.idcard import make_id
from kbtui.profiles import Profile, load_profile
from kbtui.services.workspace import Workspace

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
            "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃"
            "武戴莫孔向汤冉")
GIVEN = ("子涵 欣怡 梓涵 晨曦 紫涵 诗涵 梓萱 思涵 雨欣 可馨 浩然 宇轩 子轩 浩宇 梓睿 俊杰 明轩 博文 "
         "一鸣 天佑 佳怡 雨桐 雅琪 婷 静 敏 丽 磊 洋 勇 杰 涛 鑫 强 军 伟 芳 娜 秀英 建华 志强 文博 "
         "思远 嘉怡 语嫣 若曦 锦程 宏宇 俊熙 子墨 梓豪 欣妍 佳琪 雨涵 梦琪 一诺 星辰 嘉懿 煜城").split()
VILLAGE_SYLLABLES = "青石 龙泉 桂花 柏林 红岩 三元 金龙 杨柳 白鹤 永兴 新华 凤凰 玉泉 双河 观音 团结 长春 大坪".split()
ETHNICITIES = ("汉族",) * 18 + ("土家族", "苗族")
OTHER_SCHOOLS = ("县第一中学", "县实验小学", "县第二中学", "县民族中学")
AWAY_SCHOOLS = ("广东省东莞市长安镇中心小学", "浙江省宁波市北仑区实验学校", "重庆市渝北区两路小学",
                "四川省成都市双流区棠湖中学")
DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
DISABILITY_GRADES = ("一级", "二级", "三级", "四级")
GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")
KEY_GROUP_ODDS = (("留守儿童", 0.18), ("随迁子女", 0.03), ("孤儿", 0.004), ("事实无人抚养", 0.01),
                  ("服刑人员子女", 0.003), ("困境儿童", 0.02), ("学困生", 0.04), ("返乡儿童", 0.02))
DEFAULT_REGION = "500224"

# Demo data of the feature modules, as "module:function", each called as fn(workspace, plan, rng) in this
# order: preparers before the children are stored (they may fill in plan.records), makers after.
DEMO_PREPARERS: tuple[str, ...] = (
    "kbtui.services.demo_people:prepare_demo_people",
    "kbtui.services.demo_people:name_demo_visitors",
)
DEMO_VISIT = "demo"     # the recorder of a demo visit until name_demo_visitors names the people who made it
EXTRA_MAKERS: tuple[str, ...] = (
    "kbtui.services.demo_people:make_demo_tasks",
    "kbtui.services.escalation.escalation:make_demo_absences",
    "kbtui.services.disability.placement_demo:make_demo",
)


@dataclass
class DemoPlan:
    profile: Profile
    records: list[Record]
    villages: list[str]


def village_names(profile: Profile, children: int, per_village: int = 600) -> list[str]:
    """The profile's villages, plus synthetic ones when a big demo would overfill them."""
    villages = list(profile.villages) or ["示例村"]
    needed = -(-children // per_village)
    n = 0
    while len(villages) < needed:
        a, b = VILLAGE_SYLLABLES[n % len(VILLAGE_SYLLABLES)], n // len(VILLAGE_SYLLABLES) + 1
        villages.append(f"{a}{b}村" if b > 1 else f"{a}村")
        n += 1
    return villages


def _grade_for(age: int) -> str | None:
    return GRADES[age - 6] if 6 <= age <= 14 else None


def _school_for(age: int, profile: Profile, rng: random.Random) -> str:
    schools = profile.schools or ["中心小学"]
    primary = [s for s in schools if "小" in s or "中心校" in s] or schools
    middle = [s for s in schools if "中学" in s] or []
    if age >= 12 and middle:
        return rng.choice(middle)
    if age >= 12:
        return rng.choice(OTHER_SCHOOLS)
    return rng.choice(primary)


class _Maker:
    def __init__(self, profile: Profile, rng: random.Random, villages: list[str]) -> None:
        self.profile = profile
        self.rng = rng
        self.villages = villages
        district = profile.district       # a district's villages by town (a synthetic one: a town in turn)
        self.towns: dict[str, list[str]] = {} if district is None else {
            v: district.towns_of_village(v) or [district.town_names[i % len(district.towns)]]
            for i, v in enumerate(villages)}
        self.region = str(profile.data.get("locality", {}).get("region_code", DEFAULT_REGION))
        self.cutoff = profile.cutoff.date
        self.sequences: dict[tuple[dt.date, int], int] = {}
        self.year = profile.year

    def id_for(self, born: dt.date, male: bool) -> str:
        key = (born, int(male))
        n = self.sequences.get(key, 0)
        self.sequences[key] = n + 1
        sequence = 2 * n + (1 if male else 2)
        region = self.region if n < 400 else f"{self.region[:4]}{(int(self.region[4:]) + n // 400) % 100:02d}"
        return make_id(region, born, sequence % 1000)

    def birth(self, age: int) -> dt.date:
        # born so that the age on the cutoff day is `age`
        start = dt.date(self.cutoff.year - age - 1, self.cutoff.month, self.cutoff.day) + dt.timedelta(days=1)
        return start + dt.timedelta(days=self.rng.randrange(365))

    def phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"

    def finding_date(self) -> str:
        start = dt.date(self.year, 9, 2)
        return (start + dt.timedelta(days=self.rng.randrange(18))).isoformat()

    def child(self, local: bool) -> Record:
        rng = self.rng
        cohort = self.profile.cohorts["local"].window
        if local:
            age = rng.choice(range(cohort.low - 2, cohort.high + 3)) if rng.random() < 0.2 \
                else rng.randint(cohort.low, cohort.high)
        else:
            nonlocal_cohort = next((c for n, c in self.profile.cohorts.items() if n != "local"), None)
            window = nonlocal_cohort.window if nonlocal_cohort else cohort
            age = rng.randint(window.low, window.high)
        male = rng.random() < 0.52
        born = self.birth(age)
        id_number = self.id_for(born, male)
        surname = rng.choice(SURNAMES)
        village = rng.choice(self.villages)
        group = f"{rng.randint(1, 9)}组"
        town = rng.choice(self.towns[village]) if self.towns else ""
        record: Record = {
            "id_number": id_number,
            "name": surname + rng.choice(GIVEN),
            "sex": "男" if male else "女",
            "birth_date": born.isoformat(),
            "ethnicity": rng.choice(ETHNICITIES),
            "village": village,
            "group": group,
            "household_address": (f"{self.profile.province}{self.profile.county}{self.profile.township}"
                                  f"{town}{village}{group}"),
            "current_address": "",
            "guardian": surname + rng.choice(("建国", "国强", "秀兰", "桂英", "德明", "春梅", "志刚", "红梅", "永红")),
            "guardian_phone": self.phone(),
            "family_type": rng.choices(("脱贫户", "监测户", "一般农户", "低保户"), (8, 3, 86, 3))[0],
            "key_groups": [g for g, odds in KEY_GROUP_ODDS if rng.random() < odds],
            "sources": ["police"] if local else [],
        }
        if town:
            record["town"] = town
        if local and self.profile.cohorts["local"].source != "police":
            record["sources"].append(self.profile.cohorts["local"].source)
        if record["family_type"] in ("脱贫户", "监测户") and "poverty" not in record["sources"]:
            record["sources"].append("poverty")
        if rng.random() < 0.02:
            record["key_groups"].append("残疾")
            record["disability_category"] = rng.choice(DISABILITY_CATEGORIES)
            record["disability_grade"] = rng.choice(DISABILITY_GRADES)
            record["disability_certificate"] = id_number + f"{rng.randint(1, 7)}{rng.randint(1, 4)}"
            record["sources"].append("disability")
        self.schooling(record, age, local)
        return record

    def schooling(self, record: Record, age: int, local: bool) -> None:
        rng = self.rng
        grade = _grade_for(age)
        disabled = "残疾" in record["key_groups"]
        enrolled_here = not local or (grade is not None and rng.random() < 0.62)
        if enrolled_here and grade:
            school = _school_for(age, self.profile, rng) if local else self._nonlocal_school()
            record.update(school=school, grade=grade, class_name=f"{rng.randint(1, 4)}班",
                          student_no="G" + record["id_number"], sources=record["sources"] + ["school"])
            record["enrollment_status"] = rng.choices(("在读", "休学", "请假"), (96, 3, 1))[0]
            if disabled and rng.random() < 0.5:
                self.find(record, "随班就读")
            return
        low, high = self.profile.cohorts["local"].window.low, self.profile.cohorts["local"].window.high
        if rng.random() > 0.7 or not low <= age <= high:   # not visited (yet), or outside the campaign
            return
        if age == low and rng.random() < 0.25:
            self.find(record, "延缓入学", note="监护人已申请，待县教育局审批")
        elif disabled:
            label = rng.choice(("送教上门", "特校就读", "随班就读"))
            record["school"] = "县特殊教育学校" if label == "特校就读" else _school_for(age, self.profile, rng)
            self.find(record, label)
        elif age >= high and rng.random() < 0.3:
            self.find(record, "初中已毕业")
        else:
            label = rng.choices(
                ("外地就读", "区域内就读无学籍", "省内外就读无学籍", "休学", "疑似辍学", "辍学", "失学",
                 "户籍迁出", "出国", "失踪失联"),
                (70, 6, 4, 3, 4, 3, 1, 4, 1, 1))[0]
            if label in ("外地就读", "区域内就读无学籍", "省内外就读无学籍"):
                record["school"] = rng.choice(AWAY_SCHOOLS + OTHER_SCHOOLS)
                record["grade"] = grade or ""
            self.find(record, label)
            if label in ("疑似辍学", "辍学"):
                record["status_reason"] = rng.choice(("学习困难/厌学", "外出打工/务农", "监护人不重视", "因病"))

    def _nonlocal_school(self) -> str:
        cohort = next((c for n, c in self.profile.cohorts.items() if n != "local"), None)
        return self.rng.choice(cohort.schools) if cohort and cohort.schools else self.rng.choice(
            self.profile.schools or ["中心小学"])

    def find(self, record: Record, label: str, note: str = "") -> None:
        date = self.finding_date()
        record["status"] = label
        if note:
            record["note"] = note
        # who visited is known once the people register is made (demo_people.name_demo_visitors)
        record["status_history"] = [{"status": label, "date": date, "by": DEMO_VISIT, "how": "入户", "note": note}]


def make_children(profile: Profile, children: int = 1500, seed: int = 2024) -> DemoPlan:
    rng = random.Random(seed)
    villages = village_names(profile, children)
    maker = _Maker(profile, rng, villages)
    has_nonlocal = any(name != "local" for name in profile.cohorts)
    duplicates = children // 500
    records = [maker.child(local=not (has_nonlocal and rng.random() < 0.08))
               for _ in range(children - duplicates)]
    records += _messy_duplicates(records, maker, rng, duplicates)
    return DemoPlan(profile, records, villages)


def _messy_duplicates(records: list[Record], maker: _Maker, rng: random.Random, count: int) -> list[Record]:
    """A few children registered twice under two ID numbers (重复户籍), as real police lists have."""
    copies = []
    for original in rng.sample(records, count):
        born = dt.date.fromisoformat(original["birth_date"])
        copy = {**original, "id_number": maker.id_for(born, original["sex"] == "男"),
                "sources": ["police"], "key_groups": list(original["key_groups"])}
        copy.pop("status", None)
        copy.pop("status_history", None)
        copies.append(copy)
    return copies


def _run(specs: tuple[str, ...], workspace: Workspace, plan: DemoPlan, rng: random.Random) -> None:
    for spec in specs:
        module, function = spec.split(":")
        getattr(importlib.import_module(module), function)(workspace, plan, rng)


@gc_paused
def build_demo(staging: Path, profile_path: Path, operator: str, plugin_dirs: list[Path], children: int,
               seed: int) -> None:
    """Create a demo data folder at ``staging`` (which must not exist yet): children, then feature data."""
    profile = load_profile(profile_path)
    plan = make_children(profile, children, seed)
    extra_villages = [v for v in plan.villages if v not in profile.villages]
    workspace = Workspace.create(staging, profile_path, operator, plugin_dirs,
                                 extra_meta={"demo": True, "seed": seed, "extra_villages": extra_villages})
    rng = random.Random(seed + 1)
    _run(DEMO_PREPARERS, workspace, plan, rng)
    workspace.store.insert_many(plan.records, operator, action="demo", detail={"seed": seed, "children": children})
    _run(EXTRA_MAKERS, workspace, plan, rng)
