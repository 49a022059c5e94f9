"""走访录入 marathon through the Pilot (80x24): 200 findings typed in a row, every one stored.

The data folder is re-opened from disk afterwards and each child's situation, its last history entry and
its journal entry are checked.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from kbtui.services.campaign import visits
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.visits import VisitScreen
from tests.conftest import run_cli
from tests.helpers.tui import TODAY, confirm_school, make_app, run_async, settle

FINDINGS = 200


@pytest.fixture(scope="module")
def marathon_data(tmp_path_factory) -> Path:
    """A demo big enough for 200 visits in the first villages (≈250 campaign children a village)."""
    data = tmp_path_factory.mktemp("marathon") / "data"
    result = run_cli("demo", "--no-tui", "--seed", "11", "--children", "2400", data_dir=data)
    assert result.exit_code == 0, result.output
    return data


async def _open_village(app, pilot, village: str) -> None:
    await settle(app, pilot)
    option_list = app.screen.query_one("#village-list", OptionList)
    option_list.highlighted = next(i for i in range(option_list.option_count)
                                   if option_list.get_option_at_index(i).id == village)
    await pilot.press("enter")
    await settle(app, pilot)


@pytest.mark.slow
@run_async
async def test_two_hundred_findings_in_a_row(marathon_data: Path):
    app = make_app(marathon_data, start="visits")
    typed: list[tuple[str, str, str]] = []          # (id_number, finding, note)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, VisitScreen)
        common = list(screen.common)
        villages = list(visits.village_counts(app.workspace, TODAY))
        while len(typed) < FINDINGS:
            await _open_village(app, pilot, villages.pop(0))
            while screen.child is not None and len(typed) < FINDINGS:
                n = len(typed)
                child = screen.child["id_number"]
                key = n % len(common) + 1
                note = ""
                if n % 10 == 0:                  # now and then a note, typed in the note field
                    note = f"house {n}"
                    await pilot.press(str(key))
                    screen.query_one("#v-note").focus()
                    await pilot.press(*note, "enter")
                else:
                    await pilot.press(str(key), "enter")
                await confirm_school(app, pilot)      # 在籍在校, 外地就读 … ask for the school
                assert screen.child is None or screen.child["id_number"] != child, f"finding {n} not saved"
                typed.append((child, common[key - 1], note))
            if len(typed) < FINDINGS:
                await pilot.press("escape")
        await settle(app, pilot)

    assert len({i for i, _f, _n in typed}) == FINDINGS          # 200 different children
    workspace = Workspace.open(marathon_data, "tester")      # from disk, not the app's memory
    store = workspace.store
    for id_number, finding, note in typed:
        rec = store.get(id_number)
        assert rec["status"] == finding, id_number
        last = rec["status_history"][-1]
        assert (last["status"], last["date"], last["by"], last["how"]) == (finding, TODAY.isoformat(), "tester", "入户")
        assert last["note"] == note
        actions = [e["action"] for e in store.journal.entries(record=id_number)]
        assert actions[-1] == "visit"
    assert store.journal.verify()[0]
