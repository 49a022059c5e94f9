"""Control characters in text that comes from files and operators.

An ESC or BEL in an imported address reaches the operator's terminal when a list or a message shows it:
``ESC ] 0 ; … BEL`` retitles the window, other sequences move the cursor, recolour or hide text; the
bidirectional overrides (U+202E …) make text read backwards. So text fields lose them on import
(:func:`strip_controls`, through ``domain.normalize``), and everything shown from data or files shows
them as visible symbols instead of obeying them (:func:`escape_controls`: ESC → ␛, BEL → ␇, an override →
�, one character for one, so that columns and styled spans keep their width and place).

Control characters here: C0 (U+0000–U+001F) but tab, line feed and carriage return, DEL, C1
(U+0080–U+009F), and the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E,
U+200F, U+202A–U+202E, U+2066–U+2069).
"""
from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")        # tab, LF, CR stay
_SHOWN_AS_SYMBOLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")          # tab, LF stay
_ALL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")


def strip_controls(text: str) -> str:
    """``text`` without control characters (tab, line feed and carriage return stay)."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)      # ␀ … ␟ (␛ for ESC, ␇ for BEL)
    if code == 0x7F:
        return "\u2421"                # ␡
    return "\ufffd"                    # C1 and the bidirectional controls: �


def escape_controls(text: str, keep_breaks: bool = True) -> str:
    """``text`` with every control character replaced by one visible symbol. Tab and line feed are kept
    when ``keep_breaks`` (multi-line output), replaced too otherwise (one table cell); a carriage return,
    which would let text overwrite its own line, always is."""
    pattern = _SHOWN_AS_SYMBOLS if keep_breaks else _ALL
    return pattern.sub(_visible, text) if pattern.search(text) else text
