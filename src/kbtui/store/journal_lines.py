"""The layout of one journal line, shared by the journal that writes and reads it (``store.journal``) and
the check that follows its chain (``store.chain``): where the hashed body ends, the line's hash, a bulk
insert's records span, a line's entry without those records, and the entry that starts a signing key.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

import orjson

INSERTED: Final = "inserted"   # the key of a bulk insert entry
KEY_ACTION = "journal.key"  # the entry that starts a (new) signing key

HASH_AT = b',"hash":"'
MAC_AT = b'","mac":"'
PLAIN_TAIL = len(HASH_AT) + 64 + len(b'"}')                  # ,"hash":"…"}
SIGNED_TAIL = len(HASH_AT) + 64 + len(MAC_AT) + 64 + len(b'"}')   # ,"hash":"…","mac":"…"}


def body_end(line: bytes) -> int:
    """Where the hashed body ends: before the trailing ``,"hash":"…"}`` or ``,"hash":"…","mac":"…"}``
    (and the newline, if any)."""
    n = len(line)
    if n and line[n - 1] == 0x0A:
        n -= 1
    if line[n - 75:n - 66] == MAC_AT and line[n - SIGNED_TAIL:n - SIGNED_TAIL + len(HASH_AT)] == HASH_AT:
        return n - SIGNED_TAIL
    return n - PLAIN_TAIL


def line_body(line: bytes) -> bytes:
    """The bytes a journal line's hash is taken over (the line without its hash and signature): what a
    database chain stores as ``body`` (``store.postgres.migrate`` carries a township's lines over verbatim)."""
    return bytes(memoryview(line)[:max(0, body_end(line))]) + b"}"


def line_hash(line: bytes) -> str:
    """The hash of a journal line as written: sha256 of the line without its trailing ``,"hash":"…"}``
    (and ``,"mac":"…"``): the entry is serialised once, hashed, and the hash (and signature) appended as
    the last keys."""
    digest = hashlib.sha256(memoryview(line)[:max(0, body_end(line))])
    digest.update(b"}")
    return digest.hexdigest()


INSERTED_AT = b',"' + INSERTED.encode() + b'":{'


def bulk_span(line: bytes) -> tuple[int, int] | None:
    """(start, end) of the ``,"inserted":{…}`` part of a bulk line as the journal lays it out (records last),
    else None."""
    start, end = line.find(INSERTED_AT), line.rfind(HASH_AT)
    if start < 0 or end < 0 or line[end - 2:end] != b"}}":
        return None
    return start, end


def line_head(line: bytes) -> dict[str, Any]:
    """A line's entry without a bulk insert's records (``seq``, ``prev``, ``hash``, ``mac``, ``action`` …):
    a county's import line is ~35 MB, its records are not needed to follow the chain. Raises
    orjson.JSONDecodeError (or returns a non-dict) for a line that is not an entry."""
    span = bulk_span(line) if INSERTED_AT in line else None
    if span is not None:
        try:
            head = orjson.loads(line[:span[0]] + line[span[1]:])
        except orjson.JSONDecodeError:
            pass
        else:
            if isinstance(head, dict):
                head[INSERTED] = True      # marks a bulk line; the records: ``bulk_records``
                return head
    return orjson.loads(line)


def lost_key_message(path: Path) -> str:
    return (f"日志签名密钥 {path} 不见了：日志已签过名，没有原密钥既不能续写，也无法证明日志未被改动。"
            "请从保存的副本放回该文件（权限 600）；如密钥确已丢失，请由镇管理员运行 kbtui audit rekey 换用新密钥"
            "（此前的日志从此只能按哈希链校验）")
