"""Locality profiles: TOML files naming the township, its villages and schools, the campaign and cohorts.

A profile is validated on load; every problem is reported in Chinese with the key it concerns.
Unknown keys are kept (``Profile.data``) for plugins to read.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kbtui.domain.ages import AgeWindow, Cutoff
from kbtui.domain.campaign import Phase, parse_deadline
from kbtui.user_paths import input_problem  # a file the operator names: theirs to hand over


class ProfileError(ValueError):
    """A profile that cannot be used; the message is Chinese."""


@dataclass(frozen=True)
class Cohort:
    name: str
    window: AgeWindow
    schools: tuple[str, ...] = ()
    source: str = "police"    # which import makes a child "local" (熨斗 builds its cohort from "poverty")


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
    label: str | None = None        # the profile's name when its file was copied into a data folder

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
        value = self.data.get(key, {})
        return value if isinstance(value, dict) else {}

    @property
    def ledgers(self) -> list[str] | None:
        """Ledger ids the profile enables, or None for every registered one."""
        value = self.section("ledgers").get("enabled")
        return list(value) if value is not None else None

    @property
    def plugin_dirs(self) -> list[Path]:
        base = self.path.parent if self.path else Path.cwd()
        return [(base / d).resolve() for d in self.section("plugins").get("dirs", [])]

    def header_synonyms(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self.section("import").get("synonyms", {}).items()}


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
    township = _require(locality, "township", "locality", str)
    return Profile(
        path=path,
        data=data,
        province=str(locality.get("province", "")),
        county=str(locality.get("county", "")),
        township=township,
        villages=_str_list(locality, "villages", "locality"),
        schools=_str_list(locality, "schools", "locality"),
        year=year,
        cutoff=cutoff,
        title=str(campaign.get("title") or f"{township}{year}年义务教育控辍保学工作"),
        cohorts=_cohorts(data, cutoff),
        phases=phases,
    )


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
