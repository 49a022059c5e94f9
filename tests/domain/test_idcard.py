import datetime as dt

import pytest

from kbtui.domain.idcard import IdNumberError, check_char, facts, make_id, mask_id, normalize_id

VALID = "11010519491231002X"   # the GB 11643 example


@pytest.mark.parametrize("raw, expected", [
    (VALID, VALID),
    ("11010519491231002x", VALID),                      # lowercase x
    (" 110105 19491231 002X ", VALID),                 # spaces
    ("１１０１０５１９４９１２３１００２Ｘ", VALID),      # full-width digits and X
    ("'11010519491231002X", VALID),                    # Excel text prefix
    ("110105-19491231-002X", VALID),
])
def test_normalize_accepts_messy_forms(raw, expected):
    assert normalize_id(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    (None, "为空"),
    ("", "为空"),
    (1.10105194912310e17, "被 Excel 存成了数字"),          # float: last digits gone
    ("1.10105194912310E+17", "被 Excel 存成了数字"),
    (110105194912310000, "被 Excel 存成了数字"),
    ("110105491231002", "15位旧号码"),
    ("11010519491231002", "应为18位"),
    ("110105194902300026", "出生日期19490230不存在"),
    ("110105194912310021", "校验位错误（应为X）"),
])
def test_normalize_refuses_with_chinese_reason(raw, reason):
    with pytest.raises(IdNumberError) as err:
        normalize_id(raw)
    assert reason in str(err.value)


def test_facts_read_birth_and_sex():
    f = facts(VALID)
    assert f.birth_date == dt.date(1949, 12, 31)
    assert f.sex == "女"  # sequence 002: even
    assert facts(make_id("500224", dt.date(2015, 3, 4), 13)).sex == "男"


def test_check_char_weights():
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"


def test_make_id_is_valid_and_mask_hides_middle():
    number = make_id("500224", dt.date(2016, 8, 31), 123)
    assert normalize_id(number) == number
    assert mask_id(number) == "500224********" + number[-4:]
