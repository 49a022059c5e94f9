"""Issue 18: the early-warning counts, trend and list kept per village file (memory and disk) equal every
child scored afresh after each kind of change, and only the village files a change concerns are scored again."""
from __future__ import annotations

import datetime as dt

import pytest

from kbtui.services.campaign import visits
from kbtui.services.children.counts import CACHE_DIR
from kbtui.services.escalation import absences, cases
from kbtui.services.risk import risk, risk_trend
from kbtui.services.risk.risk_kept import kept_overview, kept_risk_list, risk_cache
from kbtui.services.workspace import Workspace
from tests.helpers.risk import RAN, ZHANG, cli_ok, id_of

TODAY = dt.date(2025, 10, 17)
WANG = "王小红"          # 王家村; 冉小军 and 张伟 live in 周家村


@pytest.fixture
def data(sheets_data):
    return sheets_data


def entries(found: risk.RiskList) -> list[dict]:
    return [e.as_dict() for e in found.entries]


def assert_rescore(ws, today: dt.date = TODAY) -> list[str]:
    """The kept overview and list equal a full scoring; returns the village files scored again."""
    kept = kept_overview(ws, today)
    rescored = sorted(risk_cache(ws).rescored)
    assert kept == risk_trend.overview(ws, today)
    listed, full = kept_risk_list(ws, today), risk.risk_list(ws, today)
    assert risk_cache(ws).rescored == []          # the overview kept today's list
    assert entries(listed) == entries(full) and listed.entries
    assert (listed.scored, listed.warnings, listed.summary()) == (full.scored, full.warnings, full.summary())
    assert entries(kept_risk_list(ws, today, village="周家村", level="高")) == \
        entries(risk.risk_list(ws, today, village="周家村", level="高"))
    return rescored


def test_kept_scores_equal_a_full_scoring_after_each_kind_of_change(data):
    ws = Workspace.open(data, "tester")
    assert assert_rescore(ws) == ["周家村", "王家村"]
    assert assert_rescore(ws) == []                           # nothing changed: nothing scored

    before = kept_overview(ws, TODAY)
    absences.add_absence(ws, id_of(WANG), "2025-10-15", days=3, reason="外出打工")     # an absence
    assert assert_rescore(ws) == ["王家村"]
    assert kept_overview(ws, TODAY) != before
    assert risk.risk_list(ws, TODAY).find(id_of(WANG)) is not None

    cases.record_absence_return(ws, id_of(ZHANG), "2025-10-17")                       # a return
    assert assert_rescore(ws) == ["周家村"]

    case = cases.open_case(ws, id_of(WANG), on="2025-10-16", reason="外出打工/务农")    # a case, an attempt
    assert assert_rescore(ws) == ["王家村"]
    cases.add_attempt(ws, case["key"], on="2025-10-16", by="冉奎", how="电话", result="监护人拒绝", refused=True)
    assert assert_rescore(ws) == ["王家村"]

    visits.record_finding(ws, id_of(RAN), "外地就读", school="广东某小学", date="2025-10-16",    # a visit
                          today=TODAY)
    assert assert_rescore(ws) == ["周家村"]

    other = Workspace.open(data, "tester")                                             # another operator's save
    other.store.update(id_of(WANG), {"family_type": "监测户"}, "tester")
    absences.add_absence(other, id_of(ZHANG), "2025-10-17", days=1)
    assert assert_rescore(ws) == ["周家村", "王家村"]
    cli_ok(data, "risk", "assign", id_of(ZHANG), "刘老师", "--on", "2025-10-17")           # a helper: no score changes
    assert assert_rescore(ws) == []
    assert kept_risk_list(ws, TODAY).find(id_of(ZHANG)).helper_name == "刘老师"


def test_kept_counts_on_disk_serve_the_next_start_and_a_new_day_scores_that_day_only(data):
    first = Workspace.open(data, "tester")
    expected = kept_overview(first, TODAY)
    assert list((data / CACHE_DIR).glob("risk-*.json"))

    again = Workspace.open(data, "tester")                    # the next start: nothing scored
    assert kept_overview(again, TODAY) == expected and risk_cache(again).rescored == []
    assert entries(kept_risk_list(again, TODAY)) == entries(risk.risk_list(again, TODAY))   # today's list scored

    tomorrow = TODAY + dt.timedelta(days=1)
    assert sorted(assert_rescore(again, tomorrow)) == ["周家村", "王家村"]
    scored: list[dt.date] = []
    score_on = risk.Survey.score_on

    def counted(survey, day, candidates=None):
        scored.append(day)
        return score_on(survey, day, candidates)

    risk.Survey.score_on = counted
    try:
        later = Workspace.open(data, "tester")
        day_after = tomorrow + dt.timedelta(days=1)
        kept_overview(later, day_after)
    finally:
        risk.Survey.score_on = score_on
    assert scored == [day_after, day_after]                   # one day for each of the two village files
    assert kept_overview(later, day_after) == risk_trend.overview(later, day_after)


def test_a_damaged_risk_cache_file_is_ignored(data):
    ws = Workspace.open(data, "tester")
    expected = kept_overview(ws, TODAY)
    for content in (b"", b"{not json", b'{"key": "other", "files": {}}', b"[1, 2]",
                    b'{"key": "%s", "files": {"x": {"sig": 1}}}'):
        for path in (data / CACHE_DIR).glob("risk-*.json"):
            key = path.stem.removeprefix("risk-").encode()
            path.write_bytes(content.replace(b"%s", key))
        fresh = Workspace.open(data, "tester")
        assert kept_overview(fresh, TODAY) == expected
        assert sorted(risk_cache(fresh).rescored) == ["周家村", "王家村"]


def test_a_village_cadre_gets_the_scores_of_their_village_only(data):
    cli_ok(data, "operators", "add", "cadre", "--role", "村干部", "--village", "王家村", "--name", "冉奎")
    Workspace.open(data, "tester")
    kept_overview(Workspace.open(data, "tester"), TODAY)       # the township's kept under another key
    cadre = Workspace.open(data, "cadre")
    mine = kept_overview(cadre, TODAY)
    assert mine == risk_trend.overview(cadre, TODAY)
    assert {v for v, _n, _h in mine.villages} <= {"王家村"} and mine.scored == 2
    assert entries(kept_risk_list(cadre, TODAY)) == entries(risk.risk_list(cadre, TODAY))
