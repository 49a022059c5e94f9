"""Normalising raw spreadsheet cell values (pure Python, no openpyxl).

Every function takes what a spreadsheet reader returns for a cell (str, int, float, bool,
datetime/date or None) and returns a clean value, or raises :class:`NormalizeError` whose message
is Chinese and says what is wrong, so that it can be shown as the reason a row was rejected.

Text loses its control characters here (``domain.controls``: ESC, BEL, bidirectional overrides …), and a
message quoting a cell shows them as visible symbols; :func:`check_length` refuses a value longer than its
field takes (``domain.child.limit_of``).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping

from kbtui.domain.child import LABEL_OF, limit_of
from kbtui.domain.controls import escape_controls, strip_controls

__all__ = [
    "NormalizeError",
    "parse_date",
    "excel_serial_to_date",
    "normalize_sex",
    "normalize_name",
    "normalize_grade",
    "normalize_enrollment_status",
    "normalize_phone",
    "normalize_text",
    "check_length",
    "too_long",
    "TooLongError",
    "GRADES",
]


class NormalizeError(ValueError):
    """A cell value that cannot be used; the message is Chinese and says why."""


class TooLongError(NormalizeError):
    """A value longer than its field takes: the whole row is refused (a cell of a million characters is
    no child's data, and the rest of its row is not to be trusted either)."""


def too_long(values: Mapping[str, object], headers: Mapping[str, str] | None = None) -> str | None:
    """Why a row is refused for a cell longer than its field takes (``domain.child.limit_of``), or None.
    ``headers`` names the columns as the file shows them (else the fields' labels)."""
    for key, value in values.items():
        if value.__class__ is str and len(value) > limit_of(key):
            label = (headers or {}).get(key) or LABEL_OF.get(key, key)
            return f"“{label}”列有 {len(value)} 个字符，超过上限 {limit_of(key)} 个字符"
    return None


def check_length(value: object, limit: int, label: str = "内容") -> None:
    """Raise :class:`TooLongError` if ``value`` is a text of more than ``limit`` characters."""
    if value.__class__ is str and len(value) > limit:
        raise TooLongError(f"{label}有 {len(value)} 个字符，超过上限 {limit} 个字符")


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: object) -> str:
    """A value as it would appear in a message (floats without a useless .0, control characters as
    visible symbols, at most 60 characters)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = escape_controls(str(value).strip(), keep_breaks=False)
    return text if len(text) <= 60 else text[:59] + "…"


# --------------------------------------------------------------------------- text

_WS = re.compile(r"\s+")


def normalize_text(value: object) -> str:
    """NFKC, no control characters, strip, collapse inner whitespace to one space. None → ""; 3.0 → "3";
    a date → ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _WS.sub(" ", strip_controls(_nfkc(str(value)))).strip()


# --------------------------------------------------------------------------- dates

# The 1900 date system: serial 1 = 1900-01-01, with Lotus's phantom 1900-02-29 at serial 60, so for
# every real date from 1900-03-01 on (serial 61+) the day zero is 1899-12-30.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Serial numbers accepted as dates: 1920-01-01 .. 2099-12-31. Anything else is not a birth date of
#: a child or of a guardian and more likely a wrong column.
SERIAL_MIN = (dt.date(1920, 1, 1) - _EXCEL_EPOCH).days
SERIAL_MAX = (dt.date(2099, 12, 31) - _EXCEL_EPOCH).days
YEAR_MIN, YEAR_MAX = 1900, 2100

_DATE_YMD = re.compile(
    r"(\d{4})\s*[年./\-_\\]\s*(\d{1,2})\s*[月./\-_\\]\s*(\d{1,2})\s*[日号]?"
    r"(?:[\sT]+\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?"
)
_DATE_YM = re.compile(r"(\d{4})\s*[年./\-_\\]\s*(\d{1,2})\s*月?")
_DIGITS8 = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?")


def excel_serial_to_date(serial: float) -> dt.date:
    """An Excel (1900 date system) serial number → date; only the sane range is accepted."""
    day = int(serial)
    if not SERIAL_MIN <= day <= SERIAL_MAX:
        raise NormalizeError(f"日期“{_shown(serial)}”不是有效日期（看起来像数字，不是日期）")
    return _EXCEL_EPOCH + dt.timedelta(days=day)


def _make_date(year: str | int, month: str | int, day: str | int, shown: str) -> dt.date:
    y, m, d = int(year), int(month), int(day)
    if not YEAR_MIN <= y <= YEAR_MAX:
        raise NormalizeError(f"日期“{shown}”的年份{y}不合理")
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise NormalizeError(f"日期“{shown}”不存在（{y}年{m}月{d}日）") from None


def parse_date(value: object) -> dt.date:
    """Parse a birth date in any of the usual forms.

    2015.3.4, 2015/03/04, 2015-3-4, 20150304, 2015年3月4日, full-width digits, Excel date cells,
    Excel serial numbers (1900 date system, 1920..2099 only). "2015.03" (no day) is an error.
    """
    if _is_blank(value):
        raise NormalizeError("日期为空")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise NormalizeError(f"日期“{value}”格式不对")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value == value:  # NaN
            raise NormalizeError("日期为空")
        if float(value).is_integer() and 10_000_000 <= value <= 99_999_999:
            text = str(int(value))
            return _make_date(text[:4], text[4:6], text[6:], text)
        return excel_serial_to_date(value)
    shown = _shown(value)
    text = _nfkc(str(value)).strip().rstrip(".。")
    m = _DATE_YMD.fullmatch(text)
    if m:
        year, month, day = m.groups()
        return _make_date(year, month, day, shown)
    compact = _WS.sub("", text)
    m = _DIGITS8.fullmatch(compact)
    if m:
        year, month, day = m.groups()
        return _make_date(year, month, day, shown)
    if _SERIAL_TEXT.fullmatch(compact):
        return excel_serial_to_date(float(compact))
    if _DATE_YM.fullmatch(text):
        raise NormalizeError(f"日期“{shown}”只有年月，缺少日，请填写完整的年月日")
    raise NormalizeError(f"日期“{shown}”格式不对，应写成如 2015-03-04 或 2015年3月4日")


# --------------------------------------------------------------------------- sex

_SEX = {
    "男": "男", "男性": "男", "男孩": "男", "男生": "男", "M": "男", "MALE": "男", "1": "男",
    "女": "女", "女性": "女", "女孩": "女", "女生": "女", "F": "女", "FEMALE": "女", "2": "女",
}


def normalize_sex(value: object) -> str:
    """男 or 女 from 男/女/男性/女性/M/F/male/female and the national codes 1/2 (GB/T 2261.1)."""
    if _is_blank(value):
        raise NormalizeError("性别为空")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    key = _WS.sub("", _nfkc(str(value))).upper()
    try:
        return _SEX[key]
    except KeyError:
        raise NormalizeError(f"性别“{_shown(value)}”无法识别，应为“男”或“女”") from None


# --------------------------------------------------------------------------- names

_NAME_DOTS = re.compile(r"[.•‧・∙⋅･·]+")
_NAME_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff'\"“”‘’]+")
_HAS_DIGIT = re.compile(r"\d")


def normalize_name(value: object) -> str:
    """A person's name: NFKC, every whitespace removed (also U+3000 inside Chinese names).

    Dots of minority names (阿卜杜·热合曼) are kept and unified to the middle dot "·".
    """
    if _is_blank(value):
        raise NormalizeError("姓名为空")
    if isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
        raise NormalizeError(f"姓名“{_shown(value)}”不是姓名（是数字或日期），请检查列是否对齐")
    text = _NAME_INVISIBLE.sub("", strip_controls(_nfkc(str(value))))
    text = _NAME_DOTS.sub("·", text).strip("·")
    if not text:
        raise NormalizeError("姓名为空")
    if _HAS_DIGIT.search(text):
        raise NormalizeError(f"姓名“{_shown(text)}”中含有数字，请检查")
    return text


# --------------------------------------------------------------------------- grades

GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_GRADE = re.compile(
    r"(?P<stage>小学|小|初级中学|初中|初)?"
    r"(?P<num>[1-9一二三四五六七八九])"
    r"(?P<unit>年级|年|级)?"
    r"(?P<rest>.*)"
)
_GRADE_REST_OK = re.compile(r"|(?:\(.*\)|[\d一二三四五六七八九十]+班|\d+|[-－]\d+)\s*班?")
_NOT_COMPULSORY = re.compile(r"高[一二三]|高中|中职|职高|中专|大学|幼儿园|幼|学前|托班|小班|中班|大班")


def normalize_grade(value: object) -> str:
    """一年级 … 九年级 from 1–9, 1年级, 一年级, 初一 (= 七年级), 初中一年级, 小学三年级, 七年级…"""
    if _is_blank(value):
        raise NormalizeError("年级为空")
    shown = _shown(value)
    if isinstance(value, bool):
        raise NormalizeError(f"年级“{shown}”无法识别")
    if isinstance(value, (int, float)):
        if float(value).is_integer() and 1 <= value <= 9:
            return GRADES[int(value) - 1]
        raise NormalizeError(f"年级“{shown}”不在一至九年级之间")
    text = _WS.sub("", _nfkc(str(value)))
    if _NOT_COMPULSORY.search(text):
        raise NormalizeError(f"年级“{shown}”不是义务教育阶段（一至九年级）")
    m = _GRADE.fullmatch(text)
    if not m or not _GRADE_REST_OK.fullmatch(m["rest"]):
        raise NormalizeError(f"年级“{shown}”无法识别，应写成如“三年级”或“初一”")
    num_text = m["num"]
    num = int(num_text) if num_text.isdigit() else _CN_NUM[num_text]
    stage = m["stage"]
    if stage is None and m["unit"] is None and m["rest"]:
        raise NormalizeError(f"年级“{shown}”无法识别，应写成如“三年级”或“初一”")
    if stage in ("初", "初中", "初级中学"):
        if num <= 3:
            num += 6
        elif num < 7:
            raise NormalizeError(f"年级“{shown}”有误：初中只有一至三年级（七至九年级）")
    elif stage in ("小学", "小") and num > 6:
        raise NormalizeError(f"年级“{shown}”有误：小学只有一至六年级")
    return GRADES[num - 1]


# --------------------------------------------------------------------------- 学籍 status

_STATUS = {
    "在读": "在读", "在校": "在读", "正常": "在读", "在籍": "在读", "在学": "在读", "在籍在校": "在读",
    "正常在读": "在读", "在校在读": "在读", "转入": "在读",
    "休学": "休学", "转出": "转出", "转学": "转出", "辍学": "辍学", "死亡": "死亡",
    "毕业": "毕业", "结业": "毕业",
}


def normalize_enrollment_status(value: object) -> str:
    """学籍状态: 在读/在校/正常/转入 → 在读; 休学; 转出; 辍学; 死亡; 毕业; others kept (stripped)."""
    if _is_blank(value):
        raise NormalizeError("学籍状态为空")
    text = normalize_text(value)
    key = text.replace(" ", "")
    if key in _STATUS:
        return _STATUS[key]
    if key.startswith("已") and key[1:] in _STATUS:
        return _STATUS[key[1:]]
    return text


# --------------------------------------------------------------------------- phones

_PHONE_SPLIT = re.compile(r"[,，;；/、|\\]+|\s{2,}|或")
_PHONE_JUNK = re.compile(r"[\s\-()（）—–.+]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}|[2-9]\d{6,7}")


def _one_phone(text: str, shown: str) -> str:
    digits = _PHONE_JUNK.sub("", text)
    digits = re.sub(r"(转|分机|ext\.?|EXT\.?|x)\d+$", "", digits)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits.isdigit():
        raise NormalizeError(f"联系电话“{shown}”含有非数字字符")
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    if digits.startswith("1") and 9 <= len(digits) <= 13:
        raise NormalizeError(f"联系电话“{shown}”不是有效手机号（手机号应为11位，实际{len(digits)}位）")
    raise NormalizeError(f"联系电话“{shown}”位数不对（{len(digits)}位）")


def normalize_phone(value: object) -> str:
    """Digits of a mobile (11 digits) or landline (区号+号码, or 7–8 digit local) number.

    A number cell such as 13800138000.0 is fine (phones fit in Excel's 15 digits). Separators,
    +86 and extensions are dropped. Several numbers in one cell are returned joined by "、".
    """
    if _is_blank(value):
        raise NormalizeError("联系电话为空")
    if isinstance(value, bool):
        raise NormalizeError(f"联系电话“{value}”无法识别")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            raise NormalizeError(f"联系电话“{value}”不是整数，请检查")
        value = str(int(value))
    shown = _shown(value)
    text = _nfkc(str(value).strip())
    parts = [p for p in _PHONE_SPLIT.split(text) if p.strip()]
    if not parts:
        raise NormalizeError("联系电话为空")
    return "、".join(_one_phone(p, shown) for p in parts)
