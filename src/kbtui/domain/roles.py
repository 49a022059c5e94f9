"""Operator roles and what each may do: permissions as data, no I/O.

A role says which children an operator sees (``scope``), which actions are allowed, whether ID and phone
numbers show in full in lists, and (for review-only roles) which fields a write may touch. The checks
themselves live in ``services.access.gate``, ``services.access.scope`` and ``services.access.access``; everything here
is plain data that tests and screens can read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# --- scopes -----------------------------------------------------------------------------------------
ALL = "all"              # every child of the township (of the district, or of the operator's towns: ``towns``)
VILLAGES = "villages"    # children whose village is one of the operator's villages
SCHOOLS = "schools"      # pupils of the operator's schools and children assigned to their teachers

SCOPE_LABELS = {ALL: "全镇", VILLAGES: "本村", SCHOOLS: "本校"}
# In a district profile every scope sits inside the operator's towns (``Operator.towns``, operators.toml
# ``towns``): a town's roles see their town only; the district roles (``DISTRICT_ROLES``) have no towns and
# see the whole district (全区), as do 督导 and 县复核 when given none.

# --- actions ----------------------------------------------------------------------------------------
READ = "read"            # lists, search, details, counts
WRITE = "write"          # change children and their records (visits, cases …)
REVIEW = "review"        # take checking steps (only the review fields below)
IMPORT = "import"        # import name lists and ledger round-trips
EXPORT = "export"        # export ledgers and reports
AUDIT = "audit"          # read the whole change journal
BACKUP = "backup"        # take and restore backups
PEOPLE = "people"        # edit the people register (it decides the 学校 scope)
ADMIN = "admin"          # edit operators (and name plugin folders: a plugin reads every child)
CAMPAIGNS = "campaigns"  # create and switch the township's current campaign (it moves every child's findings)

ACTION_LABELS = {READ: "查看", WRITE: "修改", REVIEW: "复核", IMPORT: "导入", EXPORT: "导出", AUDIT: "查看日志",
                 BACKUP: "备份与恢复", PEOPLE: "维护人员名单", CAMPAIGNS: "新建和切换排查工作", ADMIN: "管理操作员"}

# Fields a review-only role may change (see domain.checking: the state of the checking levels).
REVIEW_FIELDS: tuple[str, ...] = ("check_level", "check_returned", "check_history")


@dataclass(frozen=True)
class Role:
    name: str
    scope: str
    actions: frozenset[str]
    full_numbers: bool                      # ID and phone numbers unmasked in on-screen lists
    full_exports: bool                      # … and in exported ledgers (official forms need them)
    description: str = ""
    writable_fields: tuple[str, ...] = field(default=())   # with REVIEW and without WRITE

    def may(self, action: str) -> bool:
        return action in self.actions

    @property
    def read_only(self) -> bool:
        return WRITE not in self.actions and REVIEW not in self.actions

    def may_change(self, fields: set[str] | list[str] | tuple[str, ...]) -> bool:
        """May this role write these fields of a child (in scope)?"""
        if WRITE in self.actions:
            return True
        if REVIEW in self.actions:
            return bool(fields) and set(fields) <= set(self.writable_fields)
        return False


TOWN_ADMIN = "镇管理员"
EDU_OFFICER = "教育专干"
VILLAGE_CADRE = "村干部"
SCHOOL = "学校"
SUPERVISOR = "督导"
COUNTY_REVIEW = "县复核"
DISTRICT_ADMIN = "区县管理员"
DISTRICT_BUREAU = "区县教育局"

_ALL_WORK = frozenset({READ, WRITE, REVIEW, IMPORT, EXPORT})

ROLES: dict[str, Role] = {r.name: r for r in (
    Role(TOWN_ADMIN, ALL, _ALL_WORK | {AUDIT, BACKUP, PEOPLE, CAMPAIGNS, ADMIN}, True, True,
         "全镇数据，可管理操作员、备份与恢复"),
    Role(EDU_OFFICER, ALL, _ALL_WORK | {AUDIT, BACKUP, PEOPLE, CAMPAIGNS}, True, True,
         "全镇数据，不能管理操作员"),
    # village and school staff fill in and hand back the official ledgers of their scope (round trip by
    # ID number): full numbers in their exports, masked in on-screen lists
    Role(VILLAGE_CADRE, VILLAGES, _ALL_WORK, False, True, "只看、只改本村（社区）的儿童"),
    Role(SCHOOL, SCHOOLS, _ALL_WORK, False, True, "只看、只改本校学生和本校教师包保的儿童"),
    Role(SUPERVISOR, ALL, frozenset({READ, EXPORT, AUDIT}), False, False, "全镇只读"),
    Role(COUNTY_REVIEW, ALL, frozenset({READ, REVIEW, EXPORT, AUDIT}), False, False,
         "全镇只读，可做县级复核", REVIEW_FIELDS),
    # a district server (区县 profile): the education bureau sees every town
    Role(DISTRICT_ADMIN, ALL, _ALL_WORK | {AUDIT, BACKUP, PEOPLE, CAMPAIGNS, ADMIN}, True, True,
         "全区数据（各乡镇），可管理操作员、备份与恢复"),
    Role(DISTRICT_BUREAU, ALL, _ALL_WORK | {AUDIT, PEOPLE, CAMPAIGNS}, True, True,
         "全区数据（各乡镇），不能管理操作员"),
)}

#: roles acting for the whole district: never limited to towns
DISTRICT_ROLES = frozenset({DISTRICT_ADMIN, DISTRICT_BUREAU})
#: roles of one town's staff: in a district profile they must name their town(s)
TOWN_ROLES = frozenset({TOWN_ADMIN, EDU_OFFICER, VILLAGE_CADRE, SCHOOL})


def get_role(name: str) -> Role | None:
    return ROLES.get(str(name or "").strip())


def describe(role: Role) -> str:
    allowed = "、".join(ACTION_LABELS[a] for a in ACTION_LABELS if a in role.actions)
    scope = "全区" if role.name in DISTRICT_ROLES else SCOPE_LABELS[role.scope]
    return f"{role.name}：{role.description}（{scope}；可{allowed}）"
