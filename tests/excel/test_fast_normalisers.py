"""The import's fast paths give exactly what the domain normalisers give: per column (``clean_cells``: a cell
marked clean is returned unchanged by its normaliser; the others go through it) and per distinct value."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kbtui.domain import normalize as nz
from kbtui.domain.idcard import WEIGHTS, IdNumberError, make_id, normalize_id
from kbtui.services.intake import sources as src
from kbtui.services.intake.import_check import map_each as _map_each
from kbtui.services.intake.import_check import map_unique as _map_unique

CELLS = st.one_of(
    st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=False), st.booleans(),
    st.sampled_from(["张三", " 张三", "张  三", "张三\n", "ＡＢ", "13912345678", "１３９１２３４５６７８", "",
                     "110101201002291234", "11010119900307663X", "11010119900307663x", "1101011990030766３X",
                     "110101199002300000", "000000000000000000", "重庆市铜梁区双山镇高峰村3组12号"]))


def _outcome(fn, raw):
    try:
        return fn(raw)
    except (nz.NormalizeError, IdNumberError) as err:
        return type(err)


def test_the_check_character_in_base_13_is_the_weighted_sum():
    rng = random.Random(11643)
    for _ in range(20_000):
        digits = "".join(rng.choice("0123456789") for _ in range(17))
        assert src.check_char(digits) == "10X98765432"[sum(int(d) * w for d, w in zip(digits, WEIGHTS)) % 11]


@pytest.mark.parametrize("raw, expected", [
    ("11010119900307663X", "11010119900307663X"),       # the GB 11643 example
    ("110101200002291234", None),                         # 2000 is a leap year: valid date, wrong check digit
    ("110101190002291230", None),                         # 1900 is not a leap year
    ("11010119900307663x", "11010119900307663X"),
    ("1101011990030766３X", None),                        # a full-width digit is not ASCII: slow path
])
def test_the_id_column_agrees_with_normalize_id(raw, expected):
    errors: dict[int, str] = {}
    fast = _map_each(src.normalizer_for("id_number"), [raw], errors, src.clean_cells("id_number", [raw]))[0]
    assert (fast if not errors else IdNumberError) == _outcome(normalize_id, raw)
    clean = src.clean_cells("id_number", [raw])[0]
    assert clean is src.UNCLEAN or clean == expected == normalize_id(raw)


def test_valid_ids_of_every_day_pass_the_column_test():
    days = [dt.date(2008, 1, 1) + dt.timedelta(days=n) for n in range(0, 3660, 7)] + [dt.date(2012, 2, 29)]
    ids = [make_id("500223", day, n % 1000) for n, day in enumerate(days)]
    assert src.clean_cells("id_number", ids) == ids


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, max_size=20), st.sampled_from(["id_number", "name", "guardian_phone", "household_address",
                                                      "guardian", "note"]))
def test_column_tests_only_pass_what_the_normaliser_keeps(col, key):
    fn = src.normalizer_for(key)
    clean = src.clean_cells(key, col)
    assert clean is not None and len(clean) == len(col)
    for raw, value in zip(col, clean):
        if value is not src.UNCLEAN:
            assert value is raw and fn(raw) == raw
    # and the column mapper gives the per-cell result, errors included
    errors_fast: dict[int, str] = {}
    errors_slow: dict[int, str] = {}
    fast = _map_each(fn, col, errors_fast, src.clean_cells(key, col))
    slow = _map_each(fn, col, errors_slow)
    assert fast == slow and errors_fast == errors_slow


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([1, 1.0, True, 0, False, 2.0, "男", "女", " 男", "", None, "x"])),
                max_size=20))
def test_repeating_columns_keep_1_1dot0_and_true_apart(col):
    fn = src.normalizer_for("sex")
    errors: dict[int, str] = {}
    out = _map_unique(fn, col, errors)
    for i, raw in enumerate(col):
        expected = _outcome(fn, raw) if not src.is_blank(raw) else None
        if isinstance(expected, type):
            assert out[i] is None and i in errors
        else:
            assert out[i] == (expected or None) and i not in errors


def test_the_reader_knows_every_space_character():
    from kbtui.excel.reader import SPACES

    assert SPACES == {c for c in map(chr, range(0x110000)) if c.isspace()}

