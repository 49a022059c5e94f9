"""Names that moved out of services.placements and services.cases stay importable from the old modules."""
import subprocess
import sys

import pytest

from kbtui.services import case_forms, cases, placement_check, placement_demo, placements


@pytest.mark.parametrize("old, new", [(placements, placement_check), (placements, placement_demo),
                                      (cases, case_forms)])
def test_moved_names_are_the_same_objects_in_the_old_module(old, new):
    for name in new.__all__:
        assert getattr(old, name) is getattr(new, name), name


def test_from_import_of_a_moved_name_and_unknown_names():
    from kbtui.services.cases import write_case_record
    from kbtui.services.placements import check, make_demo

    assert (check, make_demo, write_case_record) == (placement_check.check, placement_demo.make_demo,
                                                     case_forms.write_case_record)
    for module in (placements, cases):
        with pytest.raises(AttributeError):
            module.no_such_name
        with pytest.raises(AttributeError):
            module._private_name_of_nowhere


@pytest.mark.parametrize("first", ["placement_check", "placement_demo", "case_forms", "placements", "cases"])
def test_any_module_can_be_imported_first(first):
    code = (f"import kbtui.services.{first}\n"
            "from kbtui.services.placements import check, make_demo, place\n"
            "from kbtui.services.cases import write_document, open_case\n")
    subprocess.run([sys.executable, "-c", code], check=True)
