"""Early warning (辍学风险预警): factors, the profile's settings, and each child's score, factor by factor.

- A factor (``RiskFactor``) is data a plugin registers through ``kbtui_register_risk_factors``: an id, a
  Chinese label, ``evaluate(child, params) -> Hit | None`` and its default ``params`` (every factor has
  ``weight``, 1.0 unless it says otherwise, and its own: points, thresholds, windows …). The stock factors
  live in ``plugins/risk/``.
- ``ChildFacts`` is what a factor sees of one child *as of* ``child.today``: the record, its situation, its
  absence episodes counted in school days, its absence documents and cases, and the ``RiskContext`` shared by
  all children of one computation (the school calendar, the last N school days, the term). Its helpers
  (``absent_days``, ``returns``, ``visits``, ``attempts``) only look at what had happened by ``today``, so the
  same factors compute last week's list for the trend.
- The profile's ``[risk]``: ``[risk.levels]`` (name = lowest score, e.g. "高" = 60) and
  ``[risk.factors.<id>]`` overriding a factor's params (``enabled = false`` turns it off; a table param such as
  ``points`` is merged key by key). ``RiskSettings.parse`` checks every value and says what is wrong in Chinese.
- ``score`` adds ``round(weight × points)`` of each hit; the level is the highest whose threshold the score
  reaches; below the lowest level the child is not on the list (its factors have cleared).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kbtui.domain.calendar import SchoolCalendar, to_date
from kbtui.domain.escalation import RETURNED, Episode, Span, episodes
from kbtui.domain.normalize import GRADES, NormalizeError, normalize_grade
from kbtui.domain.status import Kind

#: Levels when the profile names none: (name, lowest score), highest first.
DEFAULT_LEVELS: tuple[tuple[str, int], ...] = (("高", 60), ("中", 40), ("低", 20))
#: Situations whose children are not on the list: accounted for (死亡, 户籍迁出, 初中已毕业 …) or outside.
OFF_LIST_KINDS = frozenset({Kind.NOT_DROPOUT, Kind.OUTSIDE})


class RiskError(ValueError):
    """Settings that cannot be used; the message is Chinese and names the profile key."""


@dataclass(frozen=True)
class Hit:
    """A factor that applies to a child: its points (before the weight) and why, with the numbers."""
    points: float
    reason: str


@dataclass(frozen=True)
class RiskFactor:
    id: str
    label: str                                  # Chinese, e.g. "出勤率"
    evaluate: Callable[[ChildFacts, Mapping[str, Any]], Hit | None]
    params: Mapping[str, Any] = field(default_factory=dict)     # defaults; "weight" is added when missing
    description: str = ""                       # how it scores (Chinese; shown by ``kbtui risk factors``)
    source: str = ""                            # where the rule comes from (seed, practice)

    def defaults(self) -> dict[str, Any]:
        return {"weight": 1.0, **dict(self.params)}


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class FactorSetting:
    factor: RiskFactor
    params: Mapping[str, Any]

    @property
    def weight(self) -> float:
        return float(self.params.get("weight", 1.0))


@dataclass(frozen=True)
class RiskSettings:
    levels: tuple[tuple[str, int], ...]
    factors: tuple[FactorSetting, ...]

    @property
    def lowest(self) -> int:
        return self.levels[-1][1]

    def level_of(self, score: int) -> str | None:
        for name, threshold in self.levels:
            if score >= threshold:
                return name
        return None

    @classmethod
    def parse(cls, section: Mapping[str, Any], factors: Mapping[str, RiskFactor]) -> RiskSettings:
        """Settings from the profile's ``[risk]`` over the registered factors' defaults."""
        levels, given = parse_section(section)
        return cls.of(levels, given, factors)

    @classmethod
    def of(cls, levels: tuple[tuple[str, int], ...], given: Mapping[str, Any],
           factors: Mapping[str, RiskFactor]) -> RiskSettings:
        """Settings from levels and factor tables already read (``parse_section``) over the registered
        factors' defaults; a table for a factor nobody registered is refused."""
        missing = [name for name in given if name not in factors]
        if missing:
            raise RiskError(f"配置文件 [risk.factors] 中的因素“{'、'.join(missing)}”没有登记，"
                            f"可用的有：{'、'.join(factors) or '（无）'}")
        chosen = []
        for factor_id, factor in factors.items():
            params = _params(factor, given.get(factor_id) or {})
            if params.get("enabled", True):
                chosen.append(FactorSetting(factor, params))
        return cls(levels, tuple(chosen))


def parse_section(section: Any) -> tuple[tuple[tuple[str, int], ...], dict[str, Any]]:
    """The levels (highest first) and the factor tables of a ``[risk]`` section, its shape checked; the
    factors' own keys are checked against the registered factors by ``RiskSettings.of``."""
    if not isinstance(section, Mapping):
        raise RiskError("配置文件 [risk] 应为一个表")
    unknown = sorted(set(section) - {"levels", "factors"})
    if unknown:
        raise RiskError(f"配置文件 [risk] 中的“{'、'.join(unknown)}”不认识，可用的有：levels、factors")
    levels = _levels(section.get("levels"))
    given = section.get("factors") or {}
    if not isinstance(given, Mapping):
        raise RiskError("配置文件 [risk.factors] 应为一个表：每个因素一节，例如 [risk.factors.attendance]")
    return levels, dict(given)


def _levels(raw: Any) -> tuple[tuple[str, int], ...]:
    if raw is None:
        return DEFAULT_LEVELS
    if not isinstance(raw, Mapping) or not raw:
        raise RiskError('配置文件 [risk.levels] 应写成 等级 = 最低分，例如 "高" = 60')
    levels = []
    for name, value in raw.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise RiskError(f"配置文件 [risk.levels] 中“{name}”的分数“{value}”应为正整数")
        levels.append((str(name), value))
    if len({v for _n, v in levels}) != len(levels):
        raise RiskError("配置文件 [risk.levels] 中有两个等级的分数相同")
    return tuple(sorted(levels, key=lambda item: -item[1]))


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    if isinstance(default, Mapping):
        return isinstance(value, Mapping)
    return isinstance(value, type(default))


def _params(factor: RiskFactor, given: Any) -> dict[str, Any]:
    where = f"配置文件 [risk.factors.{factor.id}]（{factor.label}）"
    if not isinstance(given, Mapping):
        raise RiskError(f"{where}应为一个表，例如 weight = 1.5")
    params = factor.defaults()
    params.setdefault("enabled", True)
    for key, value in given.items():
        if key not in params:
            known = "、".join(k for k in params)
            raise RiskError(f"{where}中的“{key}”不认识，可用的有：{known}")
        default = params[key]
        if not _same_kind(default, value):
            raise RiskError(f"{where}中 {key} 的值“{value}”类型不对（默认值为 {default!r}）")
        if key == "weight" and value < 0:
            raise RiskError(f"{where}中 weight 不能为负数")
        if isinstance(default, Mapping):
            for sub, number in value.items():
                if not isinstance(number, (int, float)) or isinstance(number, bool):
                    raise RiskError(f"{where}中 {key} 的“{sub}”应为数字，而不是“{number}”")
            value = {**default, **value}
        params[key] = value
    return params


# --------------------------------------------------------------------------- what a factor sees

class RiskContext:
    """What all children of one computation share: the day, the school calendar, the campaign profile."""

    def __init__(self, today: dt.date, calendar: SchoolCalendar, profile: Any = None) -> None:
        self.today = today
        self.calendar = calendar
        self.profile = profile
        self._back: dict[int, tuple[dt.date, ...]] = {}

    def school_days_back(self, n: int) -> tuple[dt.date, ...]:
        """The last ``n`` school days up to and including today (fewer at the start of the calendar)."""
        if n not in self._back:
            days: list[dt.date] = []
            day = self.today
            if self.calendar.is_school_day(day):
                days.append(day)
            while len(days) < n:
                found = self.calendar.previous_school_day(day)
                if found is None:
                    break
                days.append(found)
                day = found
            self._back[n] = tuple(reversed(days))
        return self._back[n]

    def term(self) -> tuple[dt.date, dt.date] | None:
        """The term containing today, or None (a holiday, or a calendar without terms)."""
        for start, end in self.calendar.terms:
            if start <= self.today <= end:
                return start, end
        return None

    @property
    def spring(self) -> bool:
        """Whether today falls in a spring term (February to July: 春季学期)."""
        return 2 <= self.today.month <= 7


@dataclass
class ChildFacts:
    record: Mapping[str, Any]
    situation: str
    kind: Kind | None
    ctx: RiskContext
    episodes: tuple[Episode, ...] = ()          # absence episodes as of ``today`` (see ``episodes_as_of``)
    absences: tuple[Mapping[str, Any], ...] = ()    # the absence documents started by ``today``
    cases: tuple[Mapping[str, Any], ...] = ()       # the child's cases opened by ``today``

    @property
    def today(self) -> dt.date:
        return self.ctx.today

    @property
    def id_number(self) -> str:
        return str(self.record.get("id_number") or "")

    # -- attendance ----------------------------------------------------------------------------
    def absent_days(self, days: Iterable[dt.date], *, excused: bool = False) -> int:
        """How many of ``days`` the child was absent without leave (with ``excused``: on leave too)."""
        wanted = set(days)
        found: set[dt.date] = set()
        for episode in self.episodes:
            counted = set(episode.counted)
            for day in self._covered(episode):
                if day in wanted and (excused or day in counted):
                    found.add(day)
        return len(found)

    def _covered(self, episode: Episode) -> list[dt.date]:
        last = episode.last if episode.last is not None else self.today
        return [d for d in self.ctx.calendar.school_days(episode.first, min(last, self.today))]

    def latest_episode(self) -> Episode | None:
        """The latest absence episode begun by today (still running or ended)."""
        begun = [e for e in self.episodes if e.first <= self.today]
        return begun[-1] if begun else None

    def away_today(self) -> bool:
        latest = self.latest_episode()
        return latest is not None and latest.away_on(self.today)

    # -- history -------------------------------------------------------------------------------
    def returns(self) -> list[dt.date]:
        """Days the child came back after persuasion (劝返复学), by today: cases and the status history."""
        days = {d for c in self.cases if (d := _day(c.get("returned_on"))) is not None}
        for entry in self.record.get("status_history") or ():
            if entry.get("status") == RETURNED and (d := _day(entry.get("date"))) is not None:
                days.add(d)
        return sorted(d for d in days if d <= self.today)

    def visits(self) -> list[Mapping[str, Any]]:
        """Findings recorded by visits and calls (the status history), by today, oldest first."""
        found = [e for e in self.record.get("status_history") or ()
                 if (d := _day(e.get("date"))) is not None and d <= self.today]
        return sorted(found, key=lambda e: str(e.get("date")))

    def attempts(self) -> list[Mapping[str, Any]]:
        """Persuasion attempts of the child's cases (date, by, how, result, refused), by today, oldest first."""
        found = [a for c in self.cases for a in c.get("attempts") or ()
                 if (d := _day(a.get("date"))) is not None and d <= self.today]
        return sorted(found, key=lambda a: str(a.get("date")))

    def grade(self) -> int | None:
        """The grade as 1–9 (一年级 … 九年级; 初一 = 7), None when unknown."""
        return grade_number(self.record.get("grade"))


_GRADE_NUMBERS: dict[Any, int | None] = {}


def grade_number(value: Any) -> int | None:
    """1–9 for a grade as written (一年级, 初一, 7 …), None when it is not one; remembered by text (a county
    has a few dozen ways of writing its grades, and every factor of every child asks)."""
    key = value if isinstance(value, (str, int, float)) or value is None else str(value)
    if key not in _GRADE_NUMBERS:
        if len(_GRADE_NUMBERS) > 10_000:
            _GRADE_NUMBERS.clear()
        try:
            _GRADE_NUMBERS[key] = GRADES.index(normalize_grade(value)) + 1
        except (NormalizeError, ValueError):
            _GRADE_NUMBERS[key] = None
    return _GRADE_NUMBERS[key]


def _day(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return to_date(value)
    except ValueError:
        return None


def spans_as_of(spans: Iterable[Span], day: dt.date) -> list[Span]:
    """The absences as they were known on ``day``: those begun by then, and one running past it still open."""
    found = []
    for span in spans:
        if span.start > day:
            continue
        if span.last is None or span.last >= day:
            span = dataclasses.replace(span, last=None)
        found.append(span)
    return found


def episodes_as_of(spans: Iterable[Span], calendar: SchoolCalendar, day: dt.date) -> tuple[Episode, ...]:
    return tuple(episodes(spans_as_of(spans, day), calendar))


def on_list(kind: Kind | None, in_campaign: bool) -> bool:
    """Whether a child may be on the list at all: a campaign child not accounted for otherwise."""
    return in_campaign and kind not in OFF_LIST_KINDS


# --------------------------------------------------------------------------- scoring

@dataclass(frozen=True)
class ScoredHit:
    factor: str
    label: str
    points: int                 # weighted and rounded: what the score adds
    reason: str
    weight: float = 1.0
    raw: float = 0.0            # the factor's points before the weight

    def explain(self) -> str:
        weighted = f"（{_number(self.raw)}×{_number(self.weight)}）" if self.weight != 1 else ""
        return f"{self.label}：{self.reason}  +{self.points}{weighted}"

    def as_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "label": self.label, "points": self.points, "reason": self.reason,
                "weight": self.weight}


@dataclass(frozen=True)
class RiskScore:
    score: int
    level: str | None
    hits: tuple[ScoredHit, ...]
    errors: tuple[str, ...] = ()     # factors that raised (a broken plugin): named, never fatal

    @property
    def listed(self) -> bool:
        return self.level is not None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def score(child: ChildFacts, settings: RiskSettings) -> RiskScore:
    """Every factor on the child, heaviest first; a factor that raises is skipped and named in ``errors``."""
    hits: list[ScoredHit] = []
    errors: list[str] = []
    for setting in settings.factors:
        try:
            hit = setting.factor.evaluate(child, setting.params)
        except Exception as err:  # noqa: BLE001 - a plugin's factor must not break the list
            errors.append(f"预警因素“{setting.factor.label}”（{setting.factor.id}）出错，已跳过：{err}")
            continue
        if hit is None or not hit.points:
            continue
        points = round(hit.points * setting.weight)
        if points:
            hits.append(ScoredHit(setting.factor.id, setting.factor.label, points, hit.reason, setting.weight,
                                  hit.points))
    hits.sort(key=lambda h: -h.points)
    total = sum(h.points for h in hits)
    return RiskScore(total, settings.level_of(total), tuple(hits), tuple(errors))


# --------------------------------------------------------------------------- helpers for factors

def band_points(value: float, bands: Sequence[Sequence[float]], *, below: bool = False) -> float:
    """The points of the first band ``[limit, points]`` that ``value`` reaches (``below``: falls under),
    bands looked at from the most serious: ``[[7, 35], [3, 20]]`` gives 35 for 8, 20 for 3, 0 for 2."""
    ordered = sorted(bands, key=lambda b: b[0], reverse=not below)
    for limit, points in ordered:
        if (value < limit) if below else (value >= limit):
            return float(points)
    return 0.0


def cn_date(day: dt.date) -> str:
    """9月22日 (for reasons)."""
    return f"{day.month}月{day.day}日"


def words_in(text: Any, words: Iterable[str]) -> list[str]:
    """The ``words`` found in ``text`` (for free-text notes, reasons and results)."""
    text = str(text or "")
    return [w for w in words if w and w in text]
