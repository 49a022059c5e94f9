"""Classification (the 比对): who is local, who is in which cohort, and each child's situation.

Until someone records a finding (``record["status"]``), a child's situation follows from the lists:
on a school list with 学籍状态 在读 → 在籍在校; another enrolled-but-not-attending state → 在籍未在校;
a local cohort child on no school list → 待核实, except a child of the youngest cohort age (6), who
gets the deferral check. A recorded finding always wins.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kbtui.domain import status as st
from kbtui.domain.child import Record, age_on_cutoff, birth_date

if TYPE_CHECKING:  # annotations only: kbtui.profiles builds the profile from domain pieces
    from kbtui.profiles import Profile

POLICE = "police"
SCHOOL = "school"
ATTENDING_STATES = frozenset({"在读", ""})
LEFT_SCHOOL_STATES = frozenset({"转出", "毕业", "死亡", "辍学"})


@dataclass(frozen=True)
class Classification:
    local: bool
    cohort: str | None        # "local", "nonlocal" (or another profile cohort name), None = outside
    age: int | None
    situation: str
    derived: bool             # True when the situation follows from the lists, not from a finding

    @property
    def in_campaign(self) -> bool:
        return self.cohort is not None


def is_local(record: Record, profile: Profile | None = None) -> bool:
    """On the list that defines the township's own children (the police list unless the profile says)."""
    source = profile.cohorts["local"].source if profile else POLICE
    return source in (record.get("sources") or ())


def on_school_list(record: Record) -> bool:
    return SCHOOL in (record.get("sources") or ())


def cohort_of(record: Record, profile: Profile) -> str | None:
    born = birth_date(record)
    if born is None:
        return None
    if is_local(record, profile):
        local = profile.cohorts["local"]
        return "local" if local.window.contains(born) else None
    if on_school_list(record):
        for name, cohort in profile.cohorts.items():
            if name == "local":
                continue
            if record.get("school") in cohort.schools and cohort.window.contains(born):
                return name
    return None


def derived_situation(record: Record, profile: Profile, cohort: str | None) -> str:
    if on_school_list(record):
        state = (record.get("enrollment_status") or "").strip()
        if state in ATTENDING_STATES:
            return st.IN_SCHOOL
        if state not in LEFT_SCHOOL_STATES:
            return st.ENROLLED_ABSENT
    if cohort is None:
        return st.OUTSIDE_COHORT
    # the deferral check (延缓入学) concerns the township's own six-year-olds not in grade 1
    if cohort == "local" and age_on_cutoff(record, profile.cutoff) == profile.cohorts[cohort].window.low:
        return st.DEFERRAL_CHECK
    return st.PENDING_VISIT


# Classifications are immutable values with few distinct combinations (a few hundred in a county): one
# shared object per combination instead of one per child (the TUI caches a classification per child).
_SHARED: dict[Classification, Classification] = {}


def classify(record: Record, profile: Profile) -> Classification:
    cohort = cohort_of(record, profile)
    finding = record.get("status")
    situation = finding or derived_situation(record, profile, cohort)
    found = Classification(
        local=is_local(record, profile),
        cohort=cohort,
        age=age_on_cutoff(record, profile.cutoff),
        situation=situation,
        derived=not finding,
    )
    if len(_SHARED) > 10_000:       # free-text findings could make many: never grow without bound
        _SHARED.clear()
    return _SHARED.setdefault(found, found)


# Every field ``classify`` reads (``tests/test_classifier_memo.py`` checks that it reads no other).
CLASSIFY_FIELDS = ("birth_date", "sources", "school", "enrollment_status", "status")


class Classifier:
    """``classify`` for one profile, remembered by the values of ``CLASSIFY_FIELDS``.

    A county has a few thousand distinct combinations of those values for 100,000 children, so most
    children cost a tuple and a dict look-up instead of a date parse, age and cohort tests (the dashboard,
    the visit screen and the panels classify every child)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._memo: dict[tuple, Classification] = {}

    def __call__(self, record: Record) -> Classification:
        get = record.get
        sources = get("sources")
        key = (get("birth_date"), tuple(sources) if type(sources) is list else sources, get("school"),
               get("enrollment_status"), get("status"))
        try:
            found = self._memo.get(key)
        except TypeError:               # an unhashable value (a hand-edited file): no memo
            return classify(record, self.profile)
        if found is None:
            if len(self._memo) > 50_000:
                self._memo.clear()
            found = self._memo[key] = classify(record, self.profile)
        return found
