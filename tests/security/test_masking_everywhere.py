"""No full ID or phone number of a child in anything the CLI prints to a role that may not see them
(issue 19, point 4: 督导 saw 6,457 IDs and 3,641 phones in ``review --list --json`` alone).

Every command registered in click is run, with ``--json`` and in its text form, as a 督导 and as a 县复核
on a demo township where every kind of record exists (visits with notes quoting numbers, a guardian's phone
changed, checks awaiting the county, cases, absences, escalations, placements, the spot check, evidence,
backups), and the output — and the files its exports write — is scanned for any child's ID number (also
inside a 学籍号 or 残疾证号) or guardian's phone, current or former. The same read commands run as the
镇管理员 do show them (so the scan is not passing on empty lists). A command added to the CLI without an
entry here fails ``test_every_command_is_scanned``.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import click
import openpyxl
import pytest

from kbtui.cli import cli
from kbtui.domain.checking import Checker
from kbtui.services.campaign import checking, people, visits
from kbtui.services.disability import placement_check
from kbtui.services.escalation import cases
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.access import configure
from tests.helpers.masking import leaks, secrets_of

ADMIN, SUPERVISOR, COUNTY = "tester", "sup", "county"
ON = "2024-11-30"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """A 300-child demo with a record of every kind (built once; tests must not change it)."""
    root = tmp_path_factory.mktemp("masking")
    data = root / "data"
    assert run_cli("demo", "--no-tui", "--seed", "7", "--children", "300", data_dir=data).exit_code == 0
    ws = configure(data)
    ctx = ws.context()
    kids = sorted((r for r in ws.store.all() if r.get("guardian_phone") and ctx.classify(r).in_campaign),
                  key=lambda r: r["id_number"])
    village = kids[0]["village"]
    local = [r for r in kids if r["village"] == village][:4]
    other = kids[-1]
    # a note quoting another child's guardian's phone and ID number
    visits.record_finding(ws, local[0]["id_number"], "外地就读", date="2024-09-10", today=dt.date(2024, 9, 12),
                          note=f"其父电话{other['guardian_phone']}，与{other['id_number']}同户")
    for r in local[1:]:
        visits.record_finding(ws, r["id_number"], "在籍在校", date="2024-09-10", today=dt.date(2024, 9, 12))
    cadre, town = Checker("村支书", ("村干部",), village), Checker("镇长", ("镇领导",), "双山镇")
    for r in local:
        checking.review(ws, r["id_number"], "村/校核查", checker=cadre)
        checking.review(ws, r["id_number"], "镇核查", checker=town)
    people.add_person(ws, "县复核员", "督学", "铜梁区教委")
    # a guardian's phone changed: the old number is in the journal only
    changed = kids[1]
    ws.store.update(changed["id_number"], {"guardian_phone": "13900001111"}, ADMIN)
    case = cases.open_case(ws, kids[2]["id_number"], on="2024-09-05", reason="学习困难/厌学")
    cases.add_attempt(ws, case["key"], on="2024-09-06", by="刘校长", how="家访",
                      result=f"已电话联系 {kids[2]['guardian_phone']}")
    for args in (["absence", "add", kids[3]["id_number"], "--from", "2024-10-08", "--reason", "生病"],
                 ["escalation", "advance", "--on", ON],
                 ["evidence", kids[4]["id_number"], "派出所证明（纸质）"], ["backup"]):
        result = run_cli(*args, data_dir=data)
        assert result.exit_code == 0, (args, result.output)
    drawn = json.loads(run_cli("spotcheck", "draw", "--seed", "7", "--json", data_dir=data).output)
    spot = drawn["households"][0]["children"][0]
    assert run_cli("spotcheck", "record", spot, "--status", "辍学", "--note", "与排查结果不符",
                   data_dir=data).exit_code == 0
    disabled = placement_check.disabled_children(Workspace.open(data, ADMIN))
    exempt = disabled[1].record["id_number"]             # on the exemption roster
    for args in (["placement", "assess", exempt, "--date", "2024-10-01", "--members", "王医生", "--conclusion",
                  "暂不具备学习条件", "--review", "2025-10-01"],
                 ["placement", "set", exempt, "免予入学", "--date", "2024-10-02"]):
        result = run_cli(*args, data_dir=data)
        assert result.exit_code == 0, (args, result.output)
    ws = Workspace.open(data, ADMIN)
    ws.store.refresh()
    lists = root / "lists"
    lists.mkdir()
    police = lists / "户籍.csv"
    police.write_text(f"身份证号,姓名\n{kids[5]['id_number']},{kids[5]['name']}\n", encoding="utf-8")
    return {
        "data": data, "id": kids[0]["id_number"], "case": case["key"], "placed": disabled[0].record["id_number"],
        "absent": kids[3]["id_number"],
        "spot": spot, "backup": str(next((data / "backups").glob("*.tar.gz"))), "police": str(police),
        "out": root / "out", "secrets": secrets_of(ws, ["13900001111", changed["guardian_phone"]]),
    }


# Every command, with its arguments ({id}: a child in the village checked so far, {case}, {placed}: a child
# with a placement, {spot}: a child of the spot check, {absent}: a child absent since 2024-10-08 (on the
# early-warning list), {out}: a folder for exports). "read" marks the ones
# that show children to anyone who may read (the 镇管理员's output must hold numbers).
COMMANDS: list[tuple[str, bool]] = [
    ("init --profile shuangshan-2024", False),
    ("demo --no-tui", False),
    ("plugins", False), ("plugins --json", False),
    ("stats", False), ("stats --json", False),
    ("check", True), ("check --json", True),
    ("operators list", False), ("operators list --json", False), ("operators roles", False),
    ("operators add someone --role 督导", False), ("operators remove sup", False),
    ("audit verify", False), ("audit verify --json", False),
    ("audit log --limit 400", True), ("audit log --limit 400 --json", True), ("audit log --child {id} --json", True),
    ("backup", False), ("backup --json", False), ("backup --list", False), ("backup --list --json", False),
    ("restore {backup} --into {out}/restored", False),
    ("absence add {id} --from 2024-10-08", False), ("absence return {id} --on 2024-10-20", False),
    ("absence list", True), ("absence list --json", True), ("absence import {police}", False),
    ("escalation due --on 2024-11-30", True), ("escalation due --on 2024-11-30 --json", True),
    ("escalation advance --on 2024-12-01", False), ("escalation done {id} 1", False),
    ("escalation ladders", False), ("escalation ladders --json", False),
    ("escalation document {case} order -o {out}/通知书.txt", False),
    ("case list --all", True), ("case list --all --json", True), ("case show {case}", True),
    ("case show {case} --json", True), ("case open {id}", False), ("case edit {case} --persuader 王老师", False),
    ("case attempt {case} --result 拒绝", False), ("case return {case} --on 2024-10-20", False),
    ("case close {case}", False), ("case record {case} -o {out}/劝返.xlsx", False),
    ("import police {police} --dry-run", False), ("import police {police} --json", False),
    ("ledger list", False), ("ledger list --json", False),
    ("ledger export in-school-local -o {out}/台账.xlsx --json", False),
    ("ledger import {out}/台账.xlsx --dry-run --json", False),
    ("report list --json", False), ("report show statistics --json", False), ("report show statistics", False),
    ("report export statistics -o {out}/统计表.xlsx --json", False),
    ("placement options --json", False), ("placement disability {placed} --category 肢体", False),
    ("placement assess {placed} --date 2024-10-01 --members 王医生 --conclusion 能在普通学校学习", False),
    ("placement set {placed} 随班就读 --school 双山小学", False),
    ("placement session {placed} --date 2024-10-01 --teacher 王老师 --periods 2", False),
    ("placement sessions --json", True), ("placement sessions {placed}", False),
    ("placement list", True), ("placement list --json", True), ("placement check", True),
    ("placement check --json", True), ("placement roster", True), ("placement roster --json", True),
    ("placement show {placed}", True), ("placement show {placed} --json", True),
    ("campaign list --json", False), ("campaign new 2025-spring --title 春季 --year 2025", False),
    ("campaign switch 2024-autumn", False), ("campaign status", False), ("campaign status --json", False),
    ("people add 王五 --role 教师 --unit 双山小学", False), ("people list", False), ("people list --json", False),
    ("people import {police}", False),
    ("assign --rule --json", False),
    ("tasks", False), ("tasks --overdue --json", True),
    ("visit {id} --status 在籍在校 --json", False), ("evidence {id} 证明", False),
    ("review --level 县复核 --list", True), ("review --level 县复核 --list --json", True),
    ("review {id} --level 县复核 --json", False),
    ("spotcheck draw --seed 8 --replace", False), ("spotcheck list", True),
    ("spotcheck list -o {out}/督查.xlsx", False),
    ("spotcheck record {spot} --status 在籍在校", False), ("spotcheck mismatches", True),
    ("spotcheck mismatches --json", True),
    ("calendar show --on 2024-11-30", False), ("calendar show --on 2024-11-30 --json", False),
    ("risk list --on 2024-11-30", True), ("risk list --on 2024-11-30 --json", True),
    ("risk show {absent} --on 2024-11-30", True), ("risk show {absent} --on 2024-11-30 --json", True),
    ("risk export --on 2024-11-30 -o {out}/预警名单.xlsx", False),
    ("risk factors", False), ("risk factors --json", False),
    ("risk trend --on 2024-11-30", False), ("risk trend --on 2024-11-30 --json", False),
    ("risk assign {absent} 王老师 --on 2024-11-30", False),
    ("risk visit {absent} --due 2024-12-06 --on 2024-11-30", False), ("risk case {absent} --on 2024-11-30", False),
]
#: commands not run here, and why
NOT_SCANNED = {"tui": "opens the terminal interface (its screens: tests/security/test_masking_tui.py)",
               "audit rekey": "replaces the journal key (prints no child; a 镇管理员's command)",
               "store migrate": "needs a district PostgreSQL database (a 镇管理员's command; its output goes "
                                "through the same echo: tests/store/test_district_migrate.py)",
               "store export-key": "needs a district PostgreSQL database and its administrator (prints the key's "
                                   "id only: tests/access/test_backup_database.py)"}


def _args(template: str, world: dict) -> list[str]:
    return template.format(**{k: v for k, v in world.items() if isinstance(v, (str, Path))}).split()


def _written(out: Path) -> str:
    """The text of every file the commands exported into ``out``."""
    texts = []
    for path in sorted(out.rglob("*")) if out.exists() else []:
        if path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path)
            texts += [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
        elif path.suffix == ".txt":
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def test_every_command_is_scanned():
    def leaves(group: click.Group, path: tuple[str, ...] = ()):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from leaves(command, (*path, name))
            else:
                yield " ".join((*path, name))

    scanned = {t for t, _ in COMMANDS}
    missing = [c for c in leaves(cli) if c not in NOT_SCANNED
               and not any(t == c or t.startswith(c + " ") for t in scanned)]
    assert not missing, f"commands the masking scan does not run: {missing}"


@pytest.mark.parametrize("login", [SUPERVISOR, COUNTY])
def test_no_child_number_in_any_output(world, tmp_path, login):
    data = tmp_path / "data"
    shutil.copytree(world["data"], data)                # each role works on its own copy (writes may pass)
    here = {**world, "data": data, "out": tmp_path / "out"}
    found: dict[str, list[str]] = {}
    for template, _read in COMMANDS:
        result = run_cli(*_args(template, here), data_dir=data, operator=login)
        assert "Traceback" not in result.output, (template, result.output)
        hit = leaks(result.output, world["secrets"])
        if hit:
            found[template] = hit[:3]
    hit = leaks(_written(here["out"]), world["secrets"])
    if hit:
        found["(exported files)"] = hit[:3]
    assert not found, f"{login} saw children's numbers: {found}"


def test_the_same_commands_show_the_numbers_to_the_town_admin(world, tmp_path):
    """The scan above is not passing on empty lists: the 镇管理员 sees numbers in every read command."""
    data = tmp_path / "data"
    shutil.copytree(world["data"], data)
    here = {**world, "data": data, "out": tmp_path / "out"}
    silent = []
    for template, read in COMMANDS:
        if not read:
            continue
        result = run_cli(*_args(template, here), data_dir=data, operator=ADMIN)
        assert result.exit_code == 0, (template, result.output)
        if not leaks(result.output, world["secrets"]):
            silent.append(template)
    assert not silent, f"these listings show no child to the 镇管理员, the scan proves nothing there: {silent}"


def test_the_note_the_old_phone_and_the_household_are_masked_not_dropped(world):
    """What the masked roles see keeps its shape: 500224********1234, 139****1111."""
    entries = json.loads(run_cli("audit", "log", "--limit", "400", "--json", data_dir=world["data"],
                                 operator=SUPERVISOR).output)["entries"]
    changed = next(e for e in entries if (e.get("changes") or {}).get("guardian_phone", [0, 0])[1] == "139****1111")
    old, _new = changed["changes"]["guardian_phone"]
    assert re.fullmatch(r"1[0-9]{2}\*{4}[0-9]{4}", old)
    text = run_cli("audit", "log", "--limit", "400", data_dir=world["data"], operator=SUPERVISOR).output
    assert "139****1111" in text
    listed = json.loads(run_cli("review", "--level", "县复核", "--list", "--json", data_dir=world["data"],
                                operator=COUNTY).output)["awaiting"]
    assert listed and all(re.fullmatch(r"[0-9]{6}\*{8}[0-9]{3}[0-9X]", r["id_number"]) for r in listed)
    note = next(r["note"] for r in listed if r.get("note"))
    assert "****" in note and "********" in note          # the phone and the ID number in the note


def test_a_full_id_may_still_be_typed_to_find_a_child(world):
    shown = run_cli("placement", "show", world["placed"], data_dir=world["data"], operator=SUPERVISOR)
    assert shown.exit_code == 0 and world["placed"] not in shown.output
    assert f"{world['placed'][:6]}********{world['placed'][-4:]}" in shown.output


def test_the_cli_prints_only_through_what_the_operator_may_see():
    """``click.echo``/``click.secho`` are the CLI's own (cli.common.shown), and no command prints around them."""
    import kbtui.cli.common as common

    assert click.echo is common.echo and click.secho is common.secho
    for path in sorted(Path(common.__file__).parent.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for bypass in ("print(", "sys.stdout.write", "sys.stderr.write", "from click import echo",
                       "from click import secho"):
            assert bypass not in source, (path.name, bypass)
