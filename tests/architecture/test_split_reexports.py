"""The ledger service and the disability rules were each split into modules; every
name their plugins, services and tests use is still the same object in the old module, and any of the
modules can be imported first (no import cycle)."""
import ast
import inspect
import subprocess
import sys

import pytest

from kbtui.domain import disability, disability_columns, disability_info, disability_placement, home_delivery
from kbtui.services.reporting import ledger_catalog, ledger_export, ledger_import, ledger_marker, ledgers

SPLITS = {
    ledgers: (ledger_catalog, ledger_export, ledger_import, ledger_marker),
    disability: (disability_info, disability_placement, home_delivery, disability_columns),
}
#: Not re-exported: helpers that were private in the old module (``_records`` …) and a switch that stays
#: where it is read (tests patch ``data_rows.USE_ROW_XML``; a copy on ``writer`` would do nothing); names
#: added to ``saving`` after the split are imported from there.
NOT_OLD_NAMES = {"village_records", "marker_rows", "read_marker", "marker_position", "identify", "USE_ROW_XML",
                 "OUR_CREATOR", "save_text", "is_our_workbook"}


@pytest.mark.parametrize("old", SPLITS, ids=lambda m: m.__name__)
def test_public_names_of_the_new_modules_are_the_old_modules_own(old):
    for new in SPLITS[old]:
        for name in _defined(new) - NOT_OLD_NAMES:
            if not name.startswith("_"):
                assert getattr(old, name) is getattr(new, name), f"{new.__name__}.{name}"


def _defined(module) -> set[str]:
    """The names a module defines at its top level (not those it imports)."""
    names = set()
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            names.update(t.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                         if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("first", [m.__name__ for old, news in SPLITS.items() for m in (old, *news)])
def test_any_module_can_be_imported_first(first):
    code = (f"import {first}\n"
            "from kbtui.services.reporting.ledgers import export_ledger, plan_ledger_import, LedgerError\n"
            "from kbtui.domain.disability import PlacementOption, FrequencyRule, record_column\n")
    subprocess.run([sys.executable, "-c", code], check=True)
