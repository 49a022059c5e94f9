"""The lists a township imports (police 户籍, school 学籍, poverty, disability, civil affairs) and how each
cell of them becomes a clean record value.

A :class:`Source` says which fields a list must have, which columns make a list this kind of list
(``defining``: a school list imported as a 残联 list would mark every pupil disabled), which fields it
contributes to a child's record (``owns``), and how a normalised row is turned into record values (``mapper``). The
kinds a workspace knows are ``workspace.sources``, filled through the hook ``kbtui_register_sources``: the stock
ones (``STOCK_SOURCES``) by the stock plugin ``intake.sources``, a county's own list by its plugin.

Every cell goes through a normaliser of :mod:`kbtui.domain.normalize` / :mod:`kbtui.domain.idcard`.
The hot ones have fast paths here (already-clean values are by far the most common: ``clean_cells`` finds them
a whole column at a time, ``fast_text`` one cell at a time) that give exactly the same result as the domain
functions; anything unusual goes through them.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kbtui.domain import normalize as nz
from kbtui.domain.child import limit_of
from kbtui.domain.idcard import CHECK_CHARS, IdNumberError, normalize_id
from kbtui.domain.status import KEY_GROUPS

Values = dict[str, Any]


class CellError(ValueError):
    """A value that cannot be imported; ``field`` is the field key, the message is Chinese."""

    def __init__(self, field_key: str, message: str):
        super().__init__(message)
        self.field = field_key


# --------------------------------------------------------------------------- fast normalisers

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_CJK_NAME = re.compile(r"[\u4e00-\u9fff]{1,12}")
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def check_char(digits: str) -> str:
    """GB 11643's check character of 17 ASCII digits. The weights are 2**(17-i) mod 11 and 13 = 2 mod 11, so the
    weighted sum is 2 × (the digits read in base 13) mod 11: one ``int()`` in C instead of 17 multiplications."""
    return CHECK_CHARS[2 * int(digits[:17], 13) % 11]


def _valid_birth(yyyymmdd: str) -> bool:
    m, d = int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    return 1 <= m <= 12 and 1 <= d <= _MONTH_DAYS[m] and (m != 2 or d < 29 or _leap(int(yyyymmdd[:4]))) \
        and yyyymmdd[:4] != "0000"


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def fast_text(raw: Any) -> str:
    if raw.__class__ is str and raw.isprintable() and raw == raw.strip() and "  " not in raw \
            and unicodedata.is_normalized("NFKC", raw):
        return raw
    return nz.normalize_text(raw)


# --------------------------------------------------------------------------- whole columns at once

#: A cell that is not already in its canonical form: it goes through the field's normaliser.
UNCLEAN = object()


def _clean_ids(col: list[Any], _limit: int = 0) -> list[Any]:
    # 18 ASCII characters, 17 digits, the check character (a digit or X, as CHECK_CHARS holds) right
    out = [raw if raw.__class__ is str and len(raw) == 18 and raw.isascii() and raw[:17].isdigit()
           and check_char(raw) == raw[17] else UNCLEAN for raw in col]
    bad = {b for b in {raw[6:14] for raw in out if isinstance(raw, str)} if not _valid_birth(b)}
    if bad:
        out = [UNCLEAN if isinstance(raw, str) and raw[6:14] in bad else raw for raw in out]
    return out


def _clean_matching(pattern: re.Pattern[str]) -> Callable[[list[Any], int], list[Any]]:
    """The test for a field whose canonical form is ``pattern`` (short by itself: no length to check)."""
    match = pattern.fullmatch
    return lambda col, _limit: [raw if raw.__class__ is str and match(raw) else UNCLEAN for raw in col]


def _clean_texts(col: list[Any], limit: int) -> list[Any]:
    normalized = unicodedata.is_normalized
    return [raw if raw.__class__ is str and raw and len(raw) <= limit and raw.isprintable() and raw == raw.strip()
            and "  " not in raw and normalized("NFKC", raw) else UNCLEAN for raw in col]


def clean_cells(key: str, col: list[Any]) -> list[Any] | None:
    """The field's already-canonical test run over a whole column: each cell its normaliser would return
    unchanged, else ``UNCLEAN`` (only those go through the normaliser). None when the field has no such test.
    Blank cells and cells longer than the field takes are UNCLEAN. This is the fast path of the
    mostly-distinct fields (IDs, names, phones, texts)."""
    test = _COLUMN_TESTS.get(NORMALIZERS.get(key, fast_text))
    return None if test is None else test(col, limit_of(key))


_PLAIN_DATE = re.compile(r"([0-9]{4})[-./]([0-9]{2})[-./]([0-9]{2})")


def iso_date(raw: Any) -> str:
    """``parse_date(raw).isoformat()``, with a fast path for 2012-03-04 / 2012.03.04 / 2012/03/04."""
    if raw.__class__ is str:
        m = _PLAIN_DATE.fullmatch(raw)
        if m and nz.YEAR_MIN <= int(m[1]) <= nz.YEAR_MAX:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                pass            # 2012-02-30: parse_date says what is wrong
    return nz.parse_date(raw).isoformat()


def _cached(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Memoise a normaliser on hashable raw values (villages, sexes, grades, dates repeat a lot)."""
    cache: dict[tuple[type, Any], Any] = {}

    def wrapper(raw: Any) -> Any:
        key = (raw.__class__, raw)
        try:
            hit = cache[key]
        except KeyError:
            try:
                hit = fn(raw)
            except nz.NormalizeError as err:
                hit = err
            except IdNumberError as err:
                hit = err
            if len(cache) < 100_000:
                cache[key] = hit
        except TypeError:       # unhashable
            return fn(raw)
        if isinstance(hit, Exception):
            raise hit
        return hit

    return wrapper


# --------------------------------------------------------------------------- value vocabularies

_TRUE = {"是", "√", "✓", "✔", "1", "有", "y", "yes", "true", "是的", "○", "●"}
_FALSE = {"否", "0", "无", "×", "x", "n", "no", "false", "不是", "没有"}


def truthy(raw: Any) -> bool | None:
    """A yes/no cell: True, False, or None for a blank one. Anything else raises NormalizeError."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)):
        if raw in (0, 1):
            return bool(raw)
        raise nz.NormalizeError(f"“{nz.normalize_text(raw)}”应为“是”或“否”")
    text = nz.normalize_text(raw).replace(" ", "").lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise nz.NormalizeError(f"“{nz.normalize_text(raw)}”应为“是”或“否”")


FAMILY_TYPES = ("脱贫户", "监测户", "一般农户", "低保户", "特困供养")


def normalize_family_type(raw: Any) -> str:
    """脱贫户 / 监测户 / 一般农户 / 低保户 / 特困供养 from the wordings of the platforms."""
    text = nz.normalize_text(raw).replace(" ", "")
    if not text:
        raise nz.NormalizeError("家庭类型为空")
    if any(k in text for k in ("不稳定", "边缘", "易致贫", "突发", "严重困难", "监测")):
        return "监测户"
    if "特困" in text or "五保" in text:
        return "特困供养"
    if "低保" in text:
        return "低保户"
    if "非贫困" in text or text in ("一般农户", "一般户", "一般", "普通农户", "普通户", "农户"):
        return "一般农户"
    if "脱贫" in text or "建档立卡" in text or "贫困户" in text:
        return "脱贫户"
    raise nz.NormalizeError(f"家庭类型“{text}”无法识别，应为{'、'.join(FAMILY_TYPES)}之一")


_GROUP_SPLIT = re.compile(r"[、,，;；/|\s]+")
_GROUP_SYNONYMS = {
    "孤儿": "孤儿", "事实无人抚养": "事实无人抚养", "事实无人抚养儿童": "事实无人抚养", "无人抚养": "事实无人抚养",
    "留守": "留守儿童", "留守儿童": "留守儿童", "随迁": "随迁子女", "随迁子女": "随迁子女",
    "返乡": "返乡儿童", "返乡儿童": "返乡儿童", "残疾": "残疾", "残疾儿童": "残疾", "残疾人": "残疾",
    "服刑人员子女": "服刑人员子女", "困境儿童": "困境儿童", "困境": "困境儿童", "学困生": "学困生",
}
# Words in a key-group cell of a 民政 list that are family types, not key groups.
_GROUP_AS_FAMILY = {"低保": "低保户", "低保户": "低保户", "低保对象": "低保户", "低保儿童": "低保户",
                    "特困": "特困供养", "特困供养": "特困供养", "特困人员": "特困供养", "特困儿童": "特困供养",
                    "五保": "特困供养"}


def split_groups(raw: Any) -> tuple[list[str], str | None]:
    """A key-group cell → (key groups, family type or None). Unknown words are an error."""
    text = nz.normalize_text(raw)
    groups: list[str] = []
    family = None
    for token in _GROUP_SPLIT.split(text):
        if not token or token in ("无", "否", "/"):
            continue
        if token in _GROUP_AS_FAMILY:
            family = _GROUP_AS_FAMILY[token]
            continue
        label = _GROUP_SYNONYMS.get(token) or (token if token in KEY_GROUPS else None)
        if label is None:
            raise nz.NormalizeError(
                f"重点群体“{token}”无法识别，应为{'、'.join(KEY_GROUPS)}（可用顿号分隔多个）")
        if label not in groups:
            groups.append(label)
    return groups, family


DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
_CN_GRADE = {"一": 1, "二": 2, "三": 3, "四": 4, "壹": 1, "贰": 2, "叁": 3, "肆": 4,
             "1": 1, "2": 2, "3": 3, "4": 4}


def normalize_disability_category(raw: Any) -> str:
    text = nz.normalize_text(raw).replace(" ", "")
    if not text:
        raise nz.NormalizeError("残疾类别为空")
    found = [c for c in DISABILITY_CATEGORIES if c in text]
    if "多重" in text or len(found) > 1:
        return "多重"
    if found:
        return found[0]
    if "语言" in text:
        return "言语"
    if "智障" in text:
        return "智力"
    raise nz.NormalizeError(f"残疾类别“{text}”无法识别，应为{'、'.join(DISABILITY_CATEGORIES)}之一")


def normalize_disability_grade(raw: Any) -> str:
    text = nz.normalize_text(raw).replace(" ", "")
    m = re.fullmatch(r"(?:残疾)?([一二三四壹贰叁肆1-4])(?:级|等)?(?:残疾)?", text)
    if not m:
        raise nz.NormalizeError(f"残疾等级“{text}”无法识别，应为一级至四级")
    return "一二三四"[_CN_GRADE[m.group(1)] - 1] + "级"


def normalize_code(raw: Any) -> str:
    """学籍号, 残疾证号: no spaces, upper case; a number cell would have lost digits."""
    if isinstance(raw, float) and not raw.is_integer() or isinstance(raw, float) and raw >= 1e15:
        raise nz.NormalizeError(f"编号“{raw}”被 Excel 存成了数字，后几位可能已丢失，请把该列设为文本后重新录入")
    return re.sub(r"\s+", "", nz.normalize_text(raw)).upper()


# --------------------------------------------------------------------------- field normalisers

#: field key → normaliser (raw cell → clean value). A value "" means "nothing to import".
NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "id_number": normalize_id,
    "name": nz.normalize_name,
    "sex": _cached(nz.normalize_sex),
    "birth_date": _cached(iso_date),
    "ethnicity": _cached(fast_text),
    "town": _cached(fast_text),
    "village": _cached(fast_text),
    "group": _cached(fast_text),
    "household_address": fast_text,
    "current_address": fast_text,
    "guardian": fast_text,
    "guardian_phone": nz.normalize_phone,
    "family_type": _cached(normalize_family_type),
    "disability_category": _cached(normalize_disability_category),
    "disability_grade": _cached(normalize_disability_grade),
    "disability_certificate": normalize_code,
    "school": _cached(fast_text),
    "grade": _cached(nz.normalize_grade),
    "class_name": _cached(fast_text),
    "student_no": normalize_code,
    "enrollment_status": _cached(nz.normalize_enrollment_status),
    "key_groups": lambda raw: split_groups(raw)[0],
}


#: normaliser → its already-canonical test over a whole column (``clean_cells``)
_COLUMN_TESTS: dict[Callable[[Any], Any], Callable[[list[Any], int], list[Any]]] = {
    normalize_id: _clean_ids,
    nz.normalize_name: _clean_matching(_CJK_NAME),
    nz.normalize_phone: _clean_matching(_MOBILE_RE),
    fast_text: _clean_texts,
}


def normalizer_for(key: str) -> Callable[[Any], Any]:
    return NORMALIZERS.get(key, fast_text)


def is_blank(raw: Any) -> bool:
    return raw is None or raw == "" or (raw.__class__ is str and not raw.strip())


# --------------------------------------------------------------------------- sources

Mapper = Callable[[Values, Values], list[tuple[str, str]]]
"""mapper(raw_values, record_values) → warnings: turns the source-specific raw columns (flags,
key-group text…) into record values, in place. Raises CellError for an unusable required value."""


@dataclass(frozen=True)
class Source:
    name: str                          # police, school, …: stored in record["sources"]
    label: str                         # Chinese, for messages: 户籍名单
    required: tuple[str, ...]          # field keys that must be found as columns
    owns: tuple[str, ...]              # record fields this list contributes
    mapper: Mapper | None = None       # source-specific values (flags, key groups…)
    list_fields: tuple[str, ...] = ()  # record fields that are lists merged by union (key_groups)
    defining: tuple[str, ...] = ()     # the columns that make a list this kind: at least one must be present
    needs_defining: bool = True        # False: a list without them is still this kind (a bare 户籍 extract)
    description: str = ""
    raw_columns: tuple[str, ...] = field(default=())   # columns handed raw to the mapper, not normalised

    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(("id_number", *self.owns, *self.raw_columns)))


PERSON = ("name", "sex", "birth_date", "ethnicity")
HOME = ("town", "village", "group", "household_address", "current_address", "guardian", "guardian_phone")
FLAG_KEYS = ("flag_orphan", "flag_no_carer", "flag_left_behind", "flag_migrant", "flag_plight",
             "flag_disabled", "flag_dibao", "flag_tekun")
FLAG_GROUP = {"flag_orphan": "孤儿", "flag_no_carer": "事实无人抚养", "flag_left_behind": "留守儿童",
              "flag_migrant": "随迁子女", "flag_plight": "困境儿童", "flag_disabled": "残疾"}
FLAG_FAMILY = {"flag_dibao": "低保户", "flag_tekun": "特困供养"}
FLAG_HEADER = {"flag_orphan": "孤儿", "flag_no_carer": "事实无人抚养", "flag_left_behind": "留守儿童",
               "flag_migrant": "随迁子女", "flag_plight": "困境儿童", "flag_disabled": "是否残疾",
               "flag_dibao": "低保", "flag_tekun": "特困"}


def _add_group(values: Values, group: str) -> None:
    groups = values.setdefault("key_groups", [])
    if group not in groups:
        groups.append(group)


def map_civil(raw: Values, values: Values) -> list[tuple[str, str]]:
    """民政: 孤儿 / 事实无人抚养 … into key_groups, 低保 / 特困 into family_type."""
    warnings: list[tuple[str, str]] = []
    families: list[str] = []
    if "family_type" in values:
        families.append(values.pop("family_type"))
    cell = raw.get("key_groups")
    values.pop("key_groups", None)
    if not is_blank(cell):
        try:
            groups, family = split_groups(cell)
        except nz.NormalizeError as err:
            raise CellError("key_groups", str(err)) from None
        for g in groups:
            _add_group(values, g)
        if family:
            families.append(family)
    for key in FLAG_KEYS:
        cell = raw.get(key)
        if is_blank(cell):
            continue
        try:
            yes = truthy(cell)
        except nz.NormalizeError as err:
            raise CellError(key, f"{FLAG_HEADER[key]}列{err}") from None
        if not yes:
            continue
        if key in FLAG_GROUP:
            _add_group(values, FLAG_GROUP[key])
        else:
            families.append(FLAG_FAMILY[key])
    families = list(dict.fromkeys(families))
    if len(families) > 1:
        # 特困供养 is the stronger status; both are kept in the warning so nobody loses the fact
        warnings.append(("family_type", f"同时标为{'、'.join(families)}，记为“特困供养”"
                         if "特困供养" in families else f"同时标为{'、'.join(families)}，记为“{families[0]}”"))
        families = ["特困供养"] if "特困供养" in families else families[:1]
    if families:
        values["family_type"] = families[0]
    return warnings


def map_disability(raw: Values, values: Values) -> list[tuple[str, str]]:
    """残联: the child is in the key group 残疾."""
    _add_group(values, "残疾")
    return []


POLICE = Source(
    "police", "派出所户籍名单", ("id_number", "name"), (*PERSON, *HOME),
    # the base list: names and ID numbers alone are a 户籍 list; the address columns tell it from the others
    defining=("household_address", "village", "group"), needs_defining=False,
    description="户籍名单（派出所）：本镇籍儿童")
SCHOOL = Source(
    "school", "学校学籍名单", ("id_number", "name", "school"),
    (*PERSON, "school", "grade", "class_name", "student_no", "enrollment_status",
     "household_address", "current_address", "guardian", "guardian_phone"),
    defining=("grade", "class_name", "student_no", "enrollment_status"),
    description="学籍名单（学校从全国学籍系统导出）：学校、年级、班级、学籍号、学籍状态")
POVERTY = Source(
    "poverty", "防返贫监测名单", ("id_number", "name", "family_type"), (*PERSON, *HOME, "family_type"),
    defining=("family_type",),
    description="乡村振兴（防返贫监测）平台名单：家庭类型（脱贫户、监测户、一般农户）")
DISABILITY = Source(
    "disability", "残联残疾儿童名单", ("id_number", "name"),
    (*PERSON, *HOME, "disability_category", "disability_grade", "disability_certificate", "key_groups"),
    mapper=map_disability, list_fields=("key_groups",),
    defining=("disability_category", "disability_grade", "disability_certificate"),
    description="残联名单：残疾类别、等级、残疾证号（记入重点群体“残疾”）")
CIVIL = Source(
    "civil", "民政名单", ("id_number", "name"), (*PERSON, *HOME, "key_groups", "family_type"),
    mapper=map_civil, list_fields=("key_groups",), defining=("key_groups", "family_type", *FLAG_KEYS),
    raw_columns=("key_groups", *FLAG_KEYS),
    description="民政名单：孤儿、事实无人抚养（重点群体），低保户、特困供养（家庭类型）")

#: The stock kinds, registered through ``kbtui_register_sources`` by the stock plugin ``intake.sources``.
STOCK_SOURCES = (POLICE, SCHOOL, POVERTY, DISABILITY, CIVIL)
