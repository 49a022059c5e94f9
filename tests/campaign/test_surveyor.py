"""排查人 in the exported ledgers comes from the visits (``kbtui visit --visitor``, F4): people's names, an
operator's login turned into their name."""
from __future__ import annotations

from pathlib import Path

from tests.helpers.imports import body, init_data, run, run_json
from tests.helpers.township_books import children, police_book, pupils, school_book
from tests.helpers.tui import make_app, run_async, settle, start_village


def surveyors(data: Path, tmp_path: Path, ledger: str = "in-school-local", operator: str | None = None) -> dict:
    out = run_json(data, "ledger", "export", ledger, "-o", str(tmp_path / f"{ledger}.xlsx"))
    header, *rows = body(Path(out["path"]))
    col = {h: i for i, h in enumerate(header)}
    return {r[col["身份证号"]]: r[col["排查人"]] for r in rows}


def test_visits_fill_the_ledgers_surveyor_with_names(tmp_path):
    data = init_data(tmp_path)
    run(data, "import", "police", str(police_book(tmp_path / "派出所户籍名单.xlsx")))
    run(data, "import", "school", str(school_book(tmp_path / "双山小学学籍.xlsx")))
    run(data, "operators", "add", "lisi", "--role", "村干部", "--name", "李四", "--village", "高峰村")
    on_list = {c.id_number for c in pupils()}
    away, home = [c for c in children() if c.id_number not in on_list and c.village == "高峰村"][:2]
    run(data, "visit", away.id_number, "--status", "外地就读", "--school", "广东东莞长安中学",
        "--visitor", "lisi", "--visitor", "吴老师")                      # a login and a name
    run(data, "operators", "add", "tester", "--role", "镇管理员", "--name", "陈专干", "--replace")
    run(data, "visit", home.id_number, "--status", "在籍在校", "--school", "双山小学")   # nobody given: the operator
    shown = surveyors(data, tmp_path)
    assert shown[away.id_number] == "李四、吴老师"
    assert shown[home.id_number] == "陈专干"
    listed = next(c for c in pupils() if c.village == "高峰村")
    assert shown[listed.id_number] == ""                # in school by the school list: nobody visited


@run_async
async def test_a_visit_recorded_in_f4_fills_the_surveyor(tui_data, tmp_path):
    run(tui_data, "operators", "add", "tester", "--role", "镇管理员", "--name", "陈专干", "--replace")
    app = make_app(tui_data, start="visits")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_village(app, pilot, "高峰村")
        first = app.screen.child["id_number"]
        await pilot.press("7", "enter")                       # 疑似辍学 (needs no school), Enter saves
        await settle(app, pilot)
    assert app.workspace.store.get(first)["surveyor"] == "陈专干"
    assert surveyors(tui_data, tmp_path, "not-in-school")[first] == "陈专干"
