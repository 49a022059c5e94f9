"""Why a file could not be read or written, in the words an operator understands (磁盘已满 …)."""
from __future__ import annotations

import errno

_REASONS = {
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EACCES: "没有写权限",
    errno.EPERM: "没有写权限",
    errno.EROFS: "文件系统为只读",
    errno.ENOENT: "文件夹不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EIO: "磁盘读写出错",
    errno.EFBIG: "文件太大",
}


def os_error_reason(err: OSError) -> str:
    """磁盘已满, 没有写权限, 文件夹不存在 … for an OSError (its own text when none fits)."""
    return _REASONS.get(err.errno, "") or err.strerror or str(err)
