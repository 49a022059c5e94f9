"""Small realistic workbooks of one township (双山镇 2024): the police station's 户籍 list, 双山小学's 学籍
export, the staff register, a class's attendance sheet and a 残联 list, laid out the way they arrive (title
rows, 制表单位, footers).

Thirty children in four groups of three villages; the first twenty-two of them within the primary-school
ages are on 双山小学's list (one 休学). Used by the README workflow test and the wrong-list-kind tests.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.imports import cid, xlsx

SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = ("小明", "小红", "子涵", "浩然", "欣怡", "宇轩", "梓萱", "俊杰", "雨桐", "博文", "诗琪", "嘉豪", "一诺", "思远",
         "佳怡", "天佑", "若曦", "明轩", "可馨", "皓宇", "紫涵", "家乐", "雅琪", "晨阳", "梦瑶", "子墨", "心怡", "俊熙",
         "欣妍", "泽宇")
PLACES = (("高峰村", "3组"), ("高峰村", "5组"), ("尖山村", "2组"), ("长堰村", "1组"))
GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级")


@dataclass(frozen=True)
class Child:
    id_number: str
    name: str
    sex: str
    born: dt.date
    village: str
    group: str

    @property
    def age(self) -> int:
        """Age on the 2024 cutoff day (Aug 31)."""
        before = (self.born.month, self.born.day) > (8, 31)
        return 2024 - self.born.year - (1 if before else 0)


def children() -> list[Child]:
    out = []
    for i in range(30):
        born = dt.date(2010 + i % 9, 1 + i % 12, 1 + i % 27)
        seq = 11 + 2 * i if i % 2 == 0 else 12 + 2 * i          # odd = boy, even = girl
        village, group = PLACES[i % 4]
        out.append(Child(cid(born, seq), SURNAMES[i % 10] + GIVEN[i], "男" if seq % 2 else "女", born, village, group))
    return out


def pupils() -> list[Child]:
    """The children on 双山小学's list: among the first 22, those aged 6–12 on the cutoff day."""
    return [c for c in children()[:22] if 6 <= c.age <= 12]


SUSPENDED = 5           # index in children() of the pupil listed as 休学


def police_book(path: Path) -> Path:
    rows = [[n, c.name, c.sex, c.born.strftime("%Y.%m.%d"), c.id_number, f"重庆市铜梁区双山镇{c.village}{c.group}",
             c.name[0] + "某", f"1380000{n:04d}"] for n, c in enumerate(children(), 1)]
    return xlsx(path, [["双山派出所 2024年适龄儿童户籍信息"],
                       ["制表单位：重庆市公安局铜梁区分局双山派出所", None, None, None, "制表时间：2024年9月5日"],
                       ["序号", "姓名", "性别", "出生日期", "公民身份号码", "户籍地址", "监护人", "联系电话"],
                       *rows, [None], ["合计", f"{len(rows)}人"]])


def classes() -> list[tuple[Child, str, str]]:
    """(pupil, grade, class) as 双山小学's list has them: the grade by age, the classes in turn."""
    return [(c, GRADES[min(c.age - 6, 5)], f"{1 + n % 3}班") for n, c in enumerate(pupils())]


def school_book(path: Path) -> Path:
    everyone = children()
    rows = []
    for c, grade, class_name in classes():
        status = "休学" if c == everyone[SUSPENDED] else "在读"
        rows.append(["重庆市铜梁区双山小学校", c.name, c.sex, c.born.isoformat(), c.id_number,
                     grade, class_name, "G" + c.id_number, status, ""])
    return xlsx(path, [["双山小学2024年秋季学生学籍信息（全国中小学生学籍信息管理系统导出）"],
                       ["学校名称", "姓名", "性别", "出生日期", "身份证件号", "年级", "班级", "全国学籍号", "学籍状态",
                        "户口所在地"], *rows])


STAFF = (("刘镇长", "副镇长", "双山镇人民政府", ""), ("陈专干", "教育专干", "双山镇人民政府", ""),
         ("王支书", "村支书", "高峰村", "高峰村"), ("李组长", "组长", "高峰村", "高峰村/3组"),
         ("赵主任", "村主任", "尖山村", "尖山村"), ("黄支书", "村支书", "长堰村", "长堰村"),
         ("周校长", "校长", "双山小学", ""), ("吴老师", "班主任", "双山小学", ""), ("杨老师", "教师", "双山小学", ""))


def people_book(path: Path) -> Path:
    return xlsx(path, [["双山镇控辍保学工作人员名单"], ["序号", "姓名", "职务", "单位", "联系电话", "包保范围"],
                       *[[n, name, title, unit, f"1390000{n:04d}", covers]
                         for n, (name, title, unit, covers) in enumerate(STAFF, 1)]])


def disability_book(path: Path, who: list[Child]) -> Path:
    return xlsx(path, [["铜梁区残联 双山镇适龄残疾儿童名单"],
                       ["序号", "姓名", "身份证号", "残疾类别", "残疾等级", "残疾证号"],
                       *[[n, c.name, c.id_number, "肢体", "三级", c.id_number + "43"] for n, c in enumerate(who, 1)]])


ABSENT = (23, 24, 25, 26, 27, 29, 30)        # September 2024 days the first pupil of the class is away


def attendance_book(path: Path, grade: str = "六年级", class_name: str = "2班") -> Path:
    """双山小学's attendance sheet of one class for September 2024, on the profile's school calendar (the
    Mid-Autumn days off, Sunday 29th a school day): the class's first pupil away from the 23rd on."""
    from kbtui.profiles import available_profiles, load_profile
    from kbtui.services import school_calendar
    from tests.helpers.risk import attendance_sheet

    profile = load_profile(available_profiles()["shuangshan-2024"])
    calendar = school_calendar.build(profile.section("calendar"), profile.year)
    members = [c for c, g, k in classes() if (g, k) == (grade, class_name)]
    return attendance_sheet(path, 9, {members[0].name: {d: "缺" for d in ABSENT}}, year=2024,
                            title=f"双山小学{grade}（{class_name[:-1]}）班学生考勤表",
                            names=[c.name for c in members], sexes={c.name: c.sex for c in members},
                            calendar=calendar)
