"""Resident identity numbers (GB 11643-1999): normalising, validating, reading birth date and sex."""
from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import unicodedata
from dataclasses import dataclass
from typing import TypeGuard

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SEPARATORS = re.compile(r"[\s\u3000'’‘\"“”`\-]+")
_CANONICAL = re.compile(r"\d{17}[\dX]", re.ASCII)


class IdNumberError(ValueError):
    """An ID number that cannot be used; the message is Chinese and says why."""


def check_char(first17: str) -> str:
    """GB 11643's check character of the first 17 digits. The weights are 2**(17-i) mod 11 and 13 = 2 mod 11,
    so for ASCII digits the weighted sum is 2 × (the digits read in base 13) mod 11: one ``int()`` in C."""
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        return CHECK_CHARS[2 * int(first17, 13) % 11]
    total = sum(map(operator.mul, map(int, first17), WEIGHTS))
    return CHECK_CHARS[total % 11]


def is_canonical(raw: object) -> TypeGuard[str]:
    """``raw`` is already in the canonical form (18 ASCII characters, 17 digits and a digit or X), so
    ``normalize_id`` would either return it unchanged or refuse it; it never yields another number."""
    return type(raw) is str and len(raw) == 18 and _CANONICAL.fullmatch(raw) is not None


def _excel_lost_digits(raw: object) -> bool:
    """Excel keeps 15 significant digits: an ID stored as a number ends in zeros or an exponent."""
    if isinstance(raw, float):
        return True
    if isinstance(raw, int):
        return len(str(raw)) == 18 and str(raw).endswith("000")
    text = str(raw).strip()
    return bool(re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text)) or bool(re.fullmatch(r"\d{15,18}\.0+", text))


def normalize_id(raw: object) -> str:
    """Return the canonical 18-character ID or raise IdNumberError with a Chinese reason.

    Strips spaces and quotes, folds full-width digits (NFKC), upper-cases x. Refuses a number that
    Excel stored as a float (its last digits are gone and must not be guessed).
    """
    if is_canonical(raw):
        return _checked(raw)        # already canonical (every stored record): skip the folding
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise IdNumberError("身份证号为空")
    if isinstance(raw, bool):
        raise IdNumberError("身份证号格式不对")
    if _excel_lost_digits(raw):
        raise IdNumberError(
            f"身份证号“{raw}”被 Excel 存成了数字，后几位已丢失，请在原表中把该列设为文本后重新录入"
        )
    text = unicodedata.normalize("NFKC", str(raw))
    text = _SEPARATORS.sub("", text).upper()
    if len(text) == 15 and text.isdigit():
        raise IdNumberError(f"身份证号“{text}”是15位旧号码，请换成18位号码")
    if not _CANONICAL.fullmatch(text):
        raise IdNumberError(f"身份证号“{text}”应为18位（17位数字加1位数字或X），实际{len(text)}位")
    return _checked(text)


@functools.lru_cache(maxsize=1 << 18)
def _checked(text: str) -> str:
    """``text`` (18 characters, 17 digits and a digit or X) if its birth date exists and its check character
    is right. Cached: a check of the county reads each stored ID more than once (only valid ones are kept)."""
    try:
        birth_date_of(text)
    except ValueError:
        raise IdNumberError(f"身份证号“{text}”中的出生日期{text[6:14]}不存在") from None
    expected = check_char(text[:17])
    if text[17] != expected:
        raise IdNumberError(f"身份证号“{text}”校验位错误（应为{expected}），请核对每一位数字")
    return text


@functools.lru_cache(maxsize=1 << 18)
def birth_date_of(id_number: str) -> dt.date:
    """The birth date in an ID number (ValueError when it has none, or it does not exist).
    ``date.fromisoformat`` of the 8 digits (ISO's basic form) rather than ``strptime`` or three ``int()``:
    a check of 100,000 children reads 100,000 of them."""
    digits = id_number[6:14]
    if len(digits) != 8 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"no date in {digits!r}")
    return dt.date.fromisoformat(digits)


def sex_of(id_number: str) -> str:
    """男 for an odd sequence digit, 女 for an even one."""
    return "男" if int(id_number[16]) % 2 == 1 else "女"


@dataclass(frozen=True)
class IdFacts:
    id_number: str
    birth_date: dt.date
    sex: str
    region: str


def facts(raw: object) -> IdFacts:
    number = normalize_id(raw)
    return IdFacts(number, birth_date_of(number), sex_of(number), number[:6])


def make_id(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid ID (used by the synthetic township and by tests)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def mask_id(id_number: str) -> str:
    """500224********1234: region and last four kept."""
    if len(id_number) < 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
