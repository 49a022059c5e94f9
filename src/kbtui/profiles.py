"""Locality profiles: TOML files naming the township, its villages and schools, the campaign and cohorts.

A profile is validated on load; every problem is reported in Chinese naming the file, the section and the
key. The sections the services use are read here once into typed settings (``Profile.ledger``,
``Profile.calendar``, ``Profile.risk`` …); services read those attributes, never the raw tables.
A plugin's own table (any section the core does not know) stays readable with ``Profile.section(name)``;
every key is kept in ``Profile.data``.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kbtui.domain.ages import AgeWindow, Cutoff
from kbtui.domain.calendar import CalendarError, SchoolCalendar, to_date
from kbtui.domain.campaign import Phase, parse_deadline
from kbtui.domain.checking import CheckingError, normalize_level
from kbtui.domain.disability_info import DisabilityError
from kbtui.domain.home_delivery import Calendar as DeliveryCalendar
from kbtui.domain.home_delivery import FrequencyRule
from kbtui.domain.responsibility import Rules
from kbtui.domain.risk import DEFAULT_LEVELS, RiskError
from kbtui.domain.risk import parse_section as parse_risk_section
from kbtui.user_paths import input_problem  # a file the operator names: theirs to hand over


class ProfileError(ValueError):
    """A profile that cannot be used; the message is Chinese."""


@dataclass(frozen=True)
class Cohort:
    name: str
    window: AgeWindow
    schools: tuple[str, ...] = ()
    source: str = "police"    # which import makes a child "local" (熨斗 builds its cohort from "poverty")


@dataclass(frozen=True)
class LedgerSettings:
    """``[ledgers]``: the ledgers used (None: every registered one) and the words for local / not local."""
    enabled: tuple[str, ...] | None = None
    local_label: str = "本镇籍"
    nonlocal_label: str = "非本镇籍"


@dataclass(frozen=True)
class CalendarSettings:
    """``[calendar]``: the profile's own school calendar (the national data are added where it is used,
    ``services.school_calendar``) and the terms and holidays home delivery is counted on."""
    school: SchoolCalendar = field(default_factory=lambda: SchoolCalendar.from_section({}))
    delivery: DeliveryCalendar = field(default_factory=DeliveryCalendar)


@dataclass(frozen=True)
class RiskSection:
    """``[risk]``: the warning levels (highest first) and each factor's table; the factors' own keys are
    checked against the registered factors (plugins) when the risk list is built (``RiskSettings.of``)."""
    levels: tuple[tuple[str, int], ...] = DEFAULT_LEVELS
    factors: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Every section the core reads, typed (one attribute per key)."""
    term_name: str = ""                                     # [campaign] term_name (秋期 …)
    visit_phase: str | None = None                          # [campaign] visit_phase: the visits' deadline
    ledgers: LedgerSettings = field(default_factory=LedgerSettings)
    reports: tuple[str, ...] | None = None                  # [reports] enabled (None: every registered one)
    ladders: tuple[str, ...] | None = None                  # [escalation] ladders (None: the stock ones)
    common_findings: tuple[str, ...] | None = None          # [visits] common: the findings offered first
    spotcheck_sizes: dict[str, int] = field(default_factory=dict)        # [spotcheck]: family type → households
    checking_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)   # [checking.roles]: level → roles
    responsibility: Rules = field(default_factory=lambda: Rules({}))      # [responsibility]: school → villages
    backup_keep: int | None = None                          # [backup] keep (None: the service's default)
    home_delivery: FrequencyRule | None = None              # [disability] home_delivery
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    risk: RiskSection = field(default_factory=RiskSection)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)   # [import] synonyms: field → headers
    plugin_dirs: tuple[str, ...] = ()                       # [plugins] dirs (relative to the profile)


@dataclass
class Profile:
    path: Path | None
    data: dict[str, Any]
    province: str
    county: str
    township: str
    villages: list[str]
    schools: list[str]
    year: int
    cutoff: Cutoff
    title: str
    cohorts: dict[str, Cohort]
    phases: list[Phase] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    label: str | None = None        # the profile's name when its file was copied into a data folder
    district: District | None = None   # a district profile's towns (see "Districts" below); None: a township

    @property
    def level(self) -> str:
        """"district" for a profile listing ``[[locality.towns]]``, else "township"."""
        return DISTRICT if self.district is not None else TOWNSHIP

    @property
    def unit_label(self) -> str:
        """The whole unit in messages: 全区 for a district, 全镇 for a township."""
        return "全区" if self.district is not None else "全镇"

    @property
    def name(self) -> str:
        return self.label or (self.path.stem if self.path else self.township)

    @property
    def campaign_id(self) -> str:
        return str(self.data.get("campaign", {}).get("id") or f"{self.year}")

    def for_year(self, year: int, title: str | None = None) -> Profile:
        """The same locality and rules for a campaign of another year (ages counted on that year's cutoff)."""
        campaign = {**self.data.get("campaign", {}), "year": year}
        if title:
            campaign["title"] = title
        shifted = parse_profile({**self.data, "campaign": campaign}, self.path)
        shifted.label = self.label
        return shifted

    def section(self, key: str) -> dict[str, Any]:
        """A table of the file as written: for a plugin's own section (``[my_plugin]``); the core's
        sections are read once, typed, into ``settings``."""
        value = self.data.get(key, {})
        return value if isinstance(value, dict) else {}

    @property
    def ledgers(self) -> list[str] | None:
        """Ledger ids the profile enables, or None for every registered one."""
        enabled = self.settings.ledgers.enabled
        return list(enabled) if enabled is not None else None

    @property
    def plugin_dirs(self) -> list[Path]:
        base = self.path.parent if self.path else Path.cwd()
        return [(base / d).resolve() for d in self.settings.plugin_dirs]

    def header_synonyms(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.settings.synonyms.items()}


def _require(table: dict, key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in table:
        raise ProfileError(f"配置文件缺少 [{where}] {key}")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise ProfileError(f"配置文件 [{where}] {key} 的值“{value}”类型不对")
    return value


def _str_list(table: dict, key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"配置文件 [{where}] {key} 应为文字列表")
    return value


def _parse_date(text: Any, year: int, where: str) -> dt.datetime:
    try:
        return parse_deadline(text, year)
    except ValueError:
        raise ProfileError(f"配置文件 {where} 的日期“{str(text).strip()}”看不懂，"
                           f"请写成 2024-09-06 或 2024-09-06 18:00") from None


def _cohorts(data: dict, cutoff: Cutoff) -> dict[str, Cohort]:
    cohorts = data.get("cohorts")
    if not isinstance(cohorts, dict) or not cohorts:
        raise ProfileError("配置文件缺少 [cohorts.local]（本地适龄儿童的年龄范围）")
    result = {}
    for name, table in cohorts.items():
        where = f"cohorts.{name}"
        ages = _require(table, "ages", where, list)
        if len(ages) != 2 or not all(isinstance(a, int) for a in ages) or ages[0] > ages[1]:
            raise ProfileError(f"配置文件 [{where}] ages 应为 [最小年龄, 最大年龄]，例如 [6, 15]")
        source = str(table.get("source", "police"))
        result[name] = Cohort(name, AgeWindow(ages[0], ages[1], cutoff),
                              tuple(_str_list(table, "schools", where)), source)
    if "local" not in result:
        raise ProfileError("配置文件缺少 [cohorts.local]（本地适龄儿童的年龄范围）")
    return result


DATE_EXAMPLE = "应为日期（如 2024-09-01）"


class _Sections:
    """Reads the core's sections of one profile; every problem names the file, the section and the key."""

    def __init__(self, data: dict[str, Any], path: Path | None):
        self.data = data
        self.file = f"配置文件 {path} " if path else "配置文件"

    def error(self, section: str, key: str | None, problem: str) -> ProfileError:
        where = f"的 [{section}] 中 {key} " if key else f"的 [{section}] "
        return ProfileError(f"{self.file}{where}{problem}")

    def from_domain(self, section: str, err: ValueError) -> ProfileError:
        """A domain parser's message (``配置文件 [calendar] …``) with the file named."""
        text = str(err)
        if text.startswith("配置文件 ["):
            return ProfileError(f"{self.file}的 {text.removeprefix('配置文件 ')}")
        return ProfileError(f"{self.file}的 [{section}] 中{text}")

    def table(self, name: str, within: dict[str, Any] | None = None, key: str | None = None) -> dict[str, Any]:
        source = self.data if within is None else within
        value = source.get(key or name, {})
        if not isinstance(value, dict):
            raise self.error(name, None, "应为一个表（[名称] 下写 键 = 值）")
        return value

    def text(self, section: str, table: dict[str, Any], key: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.error(section, key, f"的值“{value}”应为文字")
        return value

    def texts(self, section: str, table: dict[str, Any], key: str) -> tuple[str, ...] | None:
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(section, key, "应为文字列表，例如 [\"甲\", \"乙\"]")
        return tuple(value)

    def count(self, section: str, key: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.error(section, key, f"的值“{value}”应为非负整数")
        return value

    def dates(self, section: str, key: str, values: Any) -> None:
        for value in values if isinstance(values, (list, tuple)) else [values]:
            if isinstance(value, (list, tuple)):
                self.dates(section, key, value)
                continue
            try:
                to_date(value)
            except CalendarError:
                raise self.error(section, key, f"的“{value}”{DATE_EXAMPLE}") from None

    def settings(self) -> Settings:
        campaign = self.table("campaign")
        ledgers = self.table("ledgers")
        spotcheck = self.table("spotcheck")
        sizes = spotcheck.get("sizes", spotcheck)
        if not isinstance(sizes, dict):
            raise self.error("spotcheck", "sizes", "应为一个表：家庭类型 = 户数")
        visit_phase = self.text("campaign", campaign, "visit_phase") or None
        return Settings(
            term_name=self.text("campaign", campaign, "term_name"),
            visit_phase=visit_phase,
            ledgers=LedgerSettings(self.texts("ledgers", ledgers, "enabled"),
                                   self.text("ledgers", ledgers, "local_label") or "本镇籍",
                                   self.text("ledgers", ledgers, "nonlocal_label") or "非本镇籍"),
            reports=self.texts("reports", self.table("reports"), "enabled"),
            ladders=self.texts("escalation", self.table("escalation"), "ladders"),
            common_findings=self.texts("visits", self.table("visits"), "common"),
            spotcheck_sizes={str(k): v for k, v in sizes.items() if self.count("spotcheck", str(k), v) > 0},
            checking_roles=self.checking_roles(),
            responsibility=self.responsibility(),
            backup_keep=self.backup_keep(),
            home_delivery=self.home_delivery(),
            calendar=self.calendar(),
            risk=self.risk(),
            synonyms=self.synonyms(),
            plugin_dirs=self.texts("plugins", self.table("plugins"), "dirs") or (),
        )

    def checking_roles(self) -> dict[str, tuple[str, ...]]:
        roles = self.table("checking.roles", self.table("checking"), "roles")
        result = {}
        for level in roles:
            try:
                key = normalize_level(level)
            except CheckingError as err:
                raise self.error("checking.roles", level, str(err)) from None
            result[key] = self.texts("checking.roles", roles, level) or ()
        return result

    def responsibility(self) -> Rules:
        table = self.table("responsibility")
        self.text("responsibility", table, "model")
        for school in table:
            if school != "model":
                self.texts("responsibility", table, school)
        return Rules.from_section(table)

    def backup_keep(self) -> int | None:
        table = self.table("backup")
        if "keep" not in table:
            return None
        keep = table["keep"]
        if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
            raise self.error("backup", "keep", f"的值“{keep}”应为正整数（保留的备份份数）")
        return keep

    def home_delivery(self) -> FrequencyRule | None:
        try:
            return FrequencyRule.from_profile(self.table("disability"))
        except DisabilityError as err:
            raise self.from_domain("disability", err) from None

    def calendar(self) -> CalendarSettings:
        table = self.table("calendar")
        for key in ("term", "terms", "holidays", "workdays"):
            if key in table:
                self.dates("calendar", key, table[key])
        for item in table.get("breaks") or []:
            if isinstance(item, dict):
                for key in ("from", "to"):
                    if item.get(key):
                        self.dates("calendar.breaks", key, item[key])
        try:
            school = SchoolCalendar.from_section(table)
            delivery = DeliveryCalendar.from_profile(table)
        except (CalendarError, DisabilityError) as err:
            raise self.from_domain("calendar", err) from None
        return CalendarSettings(school, delivery)

    def risk(self) -> RiskSection:
        try:
            levels, factors = parse_risk_section(self.data.get("risk", {}))
        except RiskError as err:
            raise self.from_domain("risk", err) from None
        return RiskSection(levels, factors)

    def synonyms(self) -> dict[str, tuple[str, ...]]:
        table = self.table("import.synonyms", self.table("import"), "synonyms")
        return {str(k): self.texts("import.synonyms", table, k) or () for k in table}


def parse_profile(data: dict[str, Any], path: Path | None = None) -> Profile:
    locality = data.get("locality")
    if not isinstance(locality, dict):
        raise ProfileError("配置文件缺少 [locality]（省、县、乡镇、村、学校）")
    campaign = data.get("campaign")
    if not isinstance(campaign, dict):
        raise ProfileError("配置文件缺少 [campaign]（年度、截止日、标题）")
    year = _require(campaign, "year", "campaign", int)
    try:
        cutoff = Cutoff.parse(year, str(campaign.get("cutoff", "08-31")))
    except ValueError:
        raise ProfileError(f"配置文件 [campaign] cutoff“{campaign.get('cutoff')}”应写成 月-日，例如 08-31") from None
    phases = []
    for i, phase in enumerate(campaign.get("phases", []), 1):
        where = f"[[campaign.phases]] 第{i}项"
        if not isinstance(phase, dict) or "name" not in phase or "end" not in phase:
            raise ProfileError(f"配置文件 {where} 需要 name 和 end")
        start = _parse_date(phase["start"], year, where).date() if "start" in phase else None
        phases.append(Phase(str(phase["name"]), _parse_date(phase["end"], year, where), start))
    district = parse_district(locality)
    if district is not None:
        township, villages, schools = district.name, district.villages, district.all_schools
    else:
        township = _require(locality, "township", "locality", str)
        villages, schools = _str_list(locality, "villages", "locality"), _str_list(locality, "schools", "locality")
    return Profile(
        path=path,
        data=data,
        province=str(locality.get("province", "")),
        county=str(locality.get("county", "")),
        township=township,
        villages=villages,
        schools=schools,
        year=year,
        cutoff=cutoff,
        title=str(campaign.get("title") or f"{township}{year}年义务教育控辍保学工作"),
        cohorts=_cohorts(data, cutoff),
        phases=phases,
        settings=_Sections(data, path).settings(),
        district=district,
    )


# --------------------------------------------------------------------------- districts (issue 17)
#
# A district profile (区县: 双城区, 山亭区) lists its towns instead of one township's villages:
#
#   [locality]
#   district = "山亭区"
#   district_schools = ["山亭区特殊教育学校"]          # 区直学校, in no town
#   [[locality.towns]]
#   name = "城头镇"; kind = "镇"; villages = ["…村"]; schools = ["…小学"]
#   [locality.school_districts]                       # 学区, where the district uses them
#   "城头学区" = { towns = ["城头镇"], schools = ["…小学"] }
#
# ``Profile.township`` is then the district's name (titles), ``villages`` and ``schools`` the flattened lists
# (import checks, pickers); a place is keyed by (town, village), since two towns may both have a 新村.

TOWNSHIP = "township"
DISTRICT = "district"
TOWN_KINDS = ("镇", "乡", "街道")


@dataclass(frozen=True)
class Town:
    name: str
    kind: str                        # 镇 / 乡 / 街道
    villages: tuple[str, ...]        # 村 / 社区
    schools: tuple[str, ...]


@dataclass(frozen=True)
class SchoolDistrict:
    """A 学区: the schools (and towns) a district's education line groups together."""
    name: str
    towns: tuple[str, ...]
    schools: tuple[str, ...]


@dataclass(frozen=True)
class District:
    name: str
    towns: tuple[Town, ...]
    schools: tuple[str, ...] = ()                    # 区直学校
    school_districts: tuple[SchoolDistrict, ...] = ()

    @property
    def town_names(self) -> list[str]:
        return [t.name for t in self.towns]

    def town(self, name: str | None) -> Town | None:
        return next((t for t in self.towns if t.name == name), None)

    @property
    def villages(self) -> list[str]:
        return list(dict.fromkeys(v for t in self.towns for v in t.villages))

    @property
    def all_schools(self) -> list[str]:
        return list(dict.fromkeys([*(s for t in self.towns for s in t.schools), *self.schools]))

    def towns_of_village(self, village: str | None) -> list[str]:
        """The towns having a village of this name (two towns may both have a 新村)."""
        return [t.name for t in self.towns if village and village in t.villages]

    def town_of_school(self, school: str | None) -> str | None:
        return next((t.name for t in self.towns if school and school in t.schools), None)

    def canonical_town(self, text: str | None) -> str | None:
        """The town a list's wording names: 城头镇, 城头, 城头镇人民政府 → 城头镇; None if none or several."""
        text = str(text or "").strip()
        if not text:
            return None
        if self.town(text):
            return text
        found = [t.name for t in self.towns
                 if text == t.name[: -len(t.kind)] or text.startswith(t.name) or
                 (text.endswith(("人民政府", "办事处")) and t.name in text)]
        return found[0] if len(found) == 1 else None

    def towns_in_text(self, text: str | None) -> list[str]:
        """The towns an address names (山亭区城头镇东村 → [城头镇])."""
        return [t.name for t in self.towns if text and t.name in text]

    def school_district(self, name: str) -> SchoolDistrict | None:
        return next((d for d in self.school_districts if d.name == name), None)


def _town(table: Any, i: int) -> Town:
    where = f"[[locality.towns]] 第{i}项"
    if not isinstance(table, dict) or not isinstance(table.get("name"), str) or not table["name"].strip():
        raise ProfileError(f"配置文件 {where} 需要 name（乡镇或街道的名称）")
    name = table["name"].strip()
    kind = str(table.get("kind") or next((k for k in TOWN_KINDS if name.endswith(k)), ""))
    if kind not in TOWN_KINDS:
        raise ProfileError(f"配置文件 {where}（{name}）kind“{kind}”应为 {'、'.join(TOWN_KINDS)} 之一")
    villages = _str_list(table, "villages", f"locality.towns {name}")
    twice = sorted({v for v in villages if villages.count(v) > 1})
    if twice:
        raise ProfileError(f"配置文件 {where}（{name}）的村（社区）“{'、'.join(twice)}”写了两次")
    return Town(name, kind, tuple(villages), tuple(_str_list(table, "schools", f"locality.towns {name}")))


def parse_district(locality: dict) -> District | None:
    """The district a ``[locality]`` with ``[[locality.towns]]`` describes (None: a township profile)."""
    if "towns" not in locality:
        return None
    name = _require(locality, "district", "locality", str)
    raw = locality["towns"]
    if not isinstance(raw, list) or not raw:
        raise ProfileError("配置文件 [[locality.towns]] 应列出区县的各乡镇（街道）")
    towns = tuple(_town(t, i) for i, t in enumerate(raw, 1))
    names = [t.name for t in towns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ProfileError(f"配置文件 [[locality.towns]] 中乡镇（街道）“{'、'.join(twice)}”写了两次")
    schools = _str_list(locality, "district_schools", "locality")
    owner: dict[str, str] = {}
    for town in towns:
        for school in town.schools:
            if school in owner and owner[school] != town.name:
                raise ProfileError(f"配置文件中学校“{school}”同时列在{owner[school]}和{town.name}，"
                                   "一所学校只能属于一个乡镇")
            owner[school] = town.name
    for school in schools:
        if school in owner:
            raise ProfileError(f"配置文件中学校“{school}”既是区直学校（district_schools）又列在{owner[school]}")
    return District(name, towns, tuple(schools), _school_districts(locality, set(names), {*owner, *schools}))


def _school_districts(locality: dict, towns: set[str], schools: set[str]) -> tuple[SchoolDistrict, ...]:
    table = locality.get("school_districts", {})
    if not isinstance(table, dict):
        raise ProfileError("配置文件 [locality.school_districts] 应为表：学区名 = { towns = […], schools = […] }")
    result = []
    for name, entry in table.items():
        where = f"locality.school_districts {name}"
        if not isinstance(entry, dict):
            raise ProfileError(f"配置文件 [{where}] 应写成 {{ towns = [...], schools = [...] }}")
        its_towns, its_schools = _str_list(entry, "towns", where), _str_list(entry, "schools", where)
        unknown = [t for t in its_towns if t not in towns]
        if unknown:
            raise ProfileError(f"配置文件学区“{name}”中的乡镇“{'、'.join(unknown)}”不在 [[locality.towns]] 中")
        unknown = [s for s in its_schools if s not in schools]
        if unknown:
            raise ProfileError(f"配置文件学区“{name}”中的学校“{'、'.join(unknown)}”不是本区任何乡镇或区直的学校")
        result.append(SchoolDistrict(str(name), tuple(its_towns), tuple(its_schools)))
    return tuple(result)


def load_profile(path: Path) -> Profile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"找不到配置文件 {path}") from None
    except UnicodeDecodeError:
        raise ProfileError(f"配置文件 {path} 不是 UTF-8 编码") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"配置文件 {path} 格式错误：{err}") from None
    return parse_profile(data, Path(path))


def repo_config_dir() -> Path | None:
    """``config/`` of a source checkout, if kbtui runs from one."""
    candidate = Path(__file__).resolve().parents[2] / "config"
    return candidate if candidate.is_dir() else None


def available_profiles() -> dict[str, Path]:
    found: dict[str, Path] = {}
    packaged = resources.files("kbtui_config")
    for entry in packaged.iterdir():
        if entry.name.endswith(".toml"):
            found[entry.name[:-5]] = Path(str(entry))
    local = repo_config_dir()
    if local:
        for path in local.glob("*.toml"):
            found[path.stem] = path
    return dict(sorted(found.items()))


def find_profile(path_or_name: str) -> Path:
    """A path to a TOML file, or the name of a profile in ``config/``."""
    candidate = Path(path_or_name)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.exists():
            raise ProfileError(f"找不到配置文件 {candidate}")

        problem = input_problem(candidate, allowed=())
        if problem:
            raise ProfileError(problem)
        return candidate
    profiles = available_profiles()
    if path_or_name in profiles:
        return profiles[path_or_name]
    names = "、".join(profiles) or "（无）"
    raise ProfileError(f"没有名为“{path_or_name}”的配置，可用的有：{names}")
