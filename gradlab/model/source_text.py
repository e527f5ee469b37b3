"""Read a function file's text: UTF-8, with a message naming the file and line.  No torch here."""

from __future__ import annotations

import os
import stat

from gradlab.model.problems import UserCodeError
from gradlab.model.results import Location, Problem

#: Files larger than this are refused with a message rather than loaded.
MAX_FILE_BYTES = 5_000_000


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a plain file"


def read_source(path: str) -> str:
    """Read a function file as UTF-8 text.

    Raises
    ------
    UserCodeError
        When the file cannot be read, is too large, or is not UTF-8 (the
        message names the line of the first bad byte).
    """
    try:
        info = os.stat(path)  # never open a FIFO or a device: reading one blocks the caller
        if not stat.S_ISREG(info.st_mode):
            raise UserCodeError(Problem("load", f"{path}: not a regular file ({_kind(info.st_mode)}); gradlab opens only regular files"))
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise UserCodeError(
                Problem("load", f"{path}: {size / 1e6:.1f} MB is too large for a function file (limit {MAX_FILE_BYTES / 1e6:.0f} MB)")
            )
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise UserCodeError(Problem("load", f"{path}: cannot read the file: {exc.strerror or exc}", detail=str(exc))) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserCodeError(
            Problem(
                "load",
                f"{path}:{line}: the file is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                location=Location(path, line),
                detail=str(exc),
                hint="save it as UTF-8, the encoding Python source files use",
            )
        ) from None
