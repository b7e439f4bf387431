"""Bytes from one open file to another, by the kernel when it can: the engine's run files cut
from a usage file, and its part files joined into the output (a redirected stdout, a file) go
through here (as bytes only when the text stream writes UTF-8)."""

from __future__ import annotations

import os
import stat
from typing import TextIO


def utf8_bytes(out: TextIO):
    """The byte stream under ``out`` when ``out`` writes UTF-8 (UTF-8 text can go there as is),
    else None."""
    target = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", "") or "").lower().replace("-", "").replace("_", "")
    return target if encoding == "utf8" else None


def copy_bytes(source, target, size: int) -> None:
    """``size`` bytes from the binary stream ``source`` to the binary stream ``target``: by the
    kernel when both are regular files (``copy_in_kernel``), the rest block by block."""
    target.flush()
    size -= copy_in_kernel(source, target, size)
    while size > 0:
        block = source.read(min(size, 1 << 20))
        if not block:
            break
        size -= len(block)
        target.write(block)
    target.flush()


def copy_in_kernel(source, target, size: int) -> int:
    """Up to ``size`` bytes from ``source`` to ``target`` (both flushed) by the kernel, without
    passing through Python, when both are regular files (``os.copy_file_range``); how many were
    copied (0 when the system cannot: a pipe or terminal, another file system, no such call)."""
    done, start = 0, source.tell()
    try:
        if not (stat.S_ISREG(os.fstat(source.fileno()).st_mode) and stat.S_ISREG(os.fstat(target.fileno()).st_mode)):
            return 0
        while done < size:
            n = os.copy_file_range(source.fileno(), target.fileno(), size - done, start + done)
            if n <= 0:
                break
            done += n
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        pass
    if done:
        source.seek(start + done)  # the rest, if any, is read from there
    return done


__all__ = ["copy_bytes", "copy_in_kernel", "utf8_bytes"]
