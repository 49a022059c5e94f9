import datetime as dt

import pytest

from kbtui.domain.normalize import (
    NormalizeError,
    excel_serial_to_date,
    normalize_enrollment_status,
    normalize_grade,
    normalize_name,
    normalize_phone,
    normalize_sex,
    normalize_text,
    parse_date,
)

D = dt.date(2015, 3, 4)


@pytest.mark.parametrize(
    "raw",
    [
        "2015.3.4", "2015.03.04", "2015/03/04", "2015/3/4", "2015-3-4", "2015-03-04", "20150304",
        "2015年3月4日", "2015年03月04日", "2015 年 3 月 4 日", "２０１５年３月４日", "２０１５．３．４",
        "2015-03-04 00:00:00", "2015-03-04T00:00:00", " 2015.3.4 ", "2015.3.4.", "2015年3月4号",
        "2015_3_4", "20150304 ", "42067", "42067.0",
        dt.date(2015, 3, 4), dt.datetime(2015, 3, 4, 0, 0), dt.datetime(2015, 3, 4, 13, 5),
        42067, 42067.0, 42067.75, 20150304, 20150304.0,
    ],
)
def test_parse_date_ok(raw):
    assert parse_date(raw) == D


@pytest.mark.parametrize(
    "raw, words",
    [
        (None, "为空"), ("", "为空"), ("   ", "为空"), ("2015.03", "缺少日"), ("2015年3月", "缺少日"),
        ("2015-02-30", "不存在"), ("20150230", "不存在"), ("2015-13-01", "不存在"),
        ("abc", "格式不对"), ("15.3.4", "格式不对"), (5, "不是有效日期"), (99999, "不是有效日期"),
        (True, "格式不对"), ("1800-01-01", "年份"), (float("nan"), "为空"),
        ("500224201503041234", "格式不对"),
    ],
)
def test_parse_date_errors(raw, words):
    with pytest.raises(NormalizeError) as err:
        parse_date(raw)
    assert words in str(err.value)


def test_excel_serial_edges():
    assert excel_serial_to_date(43831) == dt.date(2020, 1, 1)
    assert excel_serial_to_date(36526) == dt.date(2000, 1, 1)
    with pytest.raises(NormalizeError):
        excel_serial_to_date(100)


@pytest.mark.parametrize(
    "raw, sex",
    [
        ("男", "男"), ("女", "女"), ("男性", "男"), ("女性", "女"), (" 男 ", "男"), ("M", "男"),
        ("m", "男"), ("F", "女"), ("f", "女"), ("male", "男"), ("Female", "女"), (1, "男"), (2, "女"),
        (1.0, "男"), (2.0, "女"), ("1", "男"), ("2", "女"), ("２", "女"), ("男\u3000", "男"),
        ("女生", "女"),
    ],
)
def test_sex_ok(raw, sex):
    assert normalize_sex(raw) == sex


@pytest.mark.parametrize("raw", [None, "", "未知", "0", 0, 3, "男女", "X"])
def test_sex_errors(raw):
    with pytest.raises(NormalizeError):
        normalize_sex(raw)


@pytest.mark.parametrize(
    "raw, name",
    [
        ("张三", "张三"), (" 张 三 ", "张三"), ("张\u3000三", "张三"), ("欧阳\t娜娜\n", "欧阳娜娜"),
        ("阿卜杜·热合曼", "阿卜杜·热合曼"), ("阿卜杜•热合曼", "阿卜杜·热合曼"),
        ("阿卜杜・热合曼", "阿卜杜·热合曼"), ("阿卜杜.热合曼", "阿卜杜·热合曼"),
        ("阿卜杜．热合曼", "阿卜杜·热合曼"), ("\ufeff李四\u200b", "李四"), ("Ｌｉ　Ｍｉｎｇ", "LiMing"),
        ("'王五", "王五"),
    ],
)
def test_name_ok(raw, name):
    assert normalize_name(raw) == name


@pytest.mark.parametrize("raw", [None, "", " \u3000 ", 123, 1.5, "张3", dt.date(2015, 1, 1), "·"])
def test_name_errors(raw):
    with pytest.raises(NormalizeError):
        normalize_name(raw)


@pytest.mark.parametrize(
    "raw, grade",
    [
        (1, "一年级"), (9, "九年级"), (3.0, "三年级"), ("1", "一年级"), ("１", "一年级"),
        ("1年级", "一年级"), ("１年级", "一年级"), ("一年级", "一年级"), ("一 年 级", "一年级"),
        ("初一", "七年级"), ("初二", "八年级"), ("初三", "九年级"), ("初1", "七年级"),
        ("七年级", "七年级"), ("7年级", "七年级"), ("初中一年级", "七年级"), ("初中三年级", "九年级"),
        ("初中七年级", "七年级"), ("小学三年级", "三年级"), ("小学六年级", "六年级"),
        ("三年级(2)班", "三年级"), ("三年级（2）班", "三年级"), ("三年级2班", "三年级"),
        ("五年", "五年级"), ("9 年级", "九年级"),
    ],
)
def test_grade_ok(raw, grade):
    assert normalize_grade(raw) == grade


@pytest.mark.parametrize(
    "raw, words",
    [
        (None, "为空"), ("", "为空"), (0, "之间"), (10, "之间"), ("高一", "义务教育"),
        ("幼儿园大班", "义务教育"), ("学前班", "义务教育"), ("初四", "初中"), ("小学七年级", "小学"),
        ("十年级", "无法识别"), ("abc", "无法识别"), ("2015级", "无法识别"), ("12", "无法识别"),
    ],
)
def test_grade_errors(raw, words):
    with pytest.raises(NormalizeError) as err:
        normalize_grade(raw)
    assert words in str(err.value)


@pytest.mark.parametrize(
    "raw, status",
    [
        ("在读", "在读"), ("在校", "在读"), ("正常", "在读"), (" 在读 ", "在读"), ("转入", "在读"),
        ("休学", "休学"), ("转出", "转出"), ("已转出", "转出"), ("辍学", "辍学"), ("死亡", "死亡"),
        ("毕业", "毕业"), ("已毕业", "毕业"), ("疑似辍学", "疑似辍学"), ("  保留  学籍 ", "保留 学籍"),
    ],
)
def test_enrollment_status(raw, status):
    assert normalize_enrollment_status(raw) == status


def test_enrollment_status_empty():
    with pytest.raises(NormalizeError):
        normalize_enrollment_status("  ")


@pytest.mark.parametrize(
    "raw, phone",
    [
        ("13800138000", "13800138000"), (13800138000, "13800138000"), (13800138000.0, "13800138000"),
        ("138 0013 8000", "13800138000"), ("138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"), ("+86 138 0013 8000", "13800138000"),
        ("8613800138000", "13800138000"), ("0838-1234567", "08381234567"),
        ("(023)12345678", "02312345678"), ("023-12345678转123", "02312345678"),
        ("6234567", "6234567"), ("13800138000/13900139000", "13800138000、13900139000"),
        ("13800138000，13900139000", "13800138000、13900139000"), (" 13800138000 ", "13800138000"),
    ],
)
def test_phone_ok(raw, phone):
    assert normalize_phone(raw) == phone


@pytest.mark.parametrize(
    "raw, words",
    [
        (None, "为空"), ("", "为空"), ("1380013800", "手机号"), ("138001380001", "手机号"),
        ("无", "非数字"), ("12345", "位数"), (1.38e10 + 0.5, "不是整数"),
    ],
)
def test_phone_errors(raw, words):
    with pytest.raises(NormalizeError) as err:
        normalize_phone(raw)
    assert words in str(err.value)


@pytest.mark.parametrize(
    "raw, text",
    [
        (None, ""), ("  a   b  ", "a b"), ("双山镇\u3000\u3000石桥村", "双山镇 石桥村"), ("Ａ１", "A1"),
        (3.0, "3"), (3, "3"), (2.5, "2.5"), (dt.date(2015, 3, 4), "2015-03-04"),
        (dt.datetime(2015, 3, 4), "2015-03-04"), ("第\n三\n组", "第 三 组"), ("（一组）", "(一组)"),
    ],
)
def test_text(raw, text):
    assert normalize_text(raw) == text
