"""Saving function files: atomically, through links, keeping the file's mode."""

from __future__ import annotations

import os
import stat
import tempfile


def _default_mode() -> int:
    """The mode a new file gets under the current umask (0o644 under umask 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text_atomically(path: str, text: str) -> str:
    """Write ``text`` to ``path`` so that a failure leaves the old file whole; return the file written.

    A symbolic link is followed: its target gets the text and the link stays a
    link.  A file with other hard links is rewritten in place (after a full
    write to a temporary copy succeeded), so every link sees the edit.
    Otherwise a temporary file beside it replaces it.  The file keeps its mode;
    a new file gets the umask's.
    """
    target = os.path.realpath(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    mode = stat.S_IMODE(info.st_mode) if info is not None else _default_mode()
    folder = os.path.dirname(target)
    handle, temporary = tempfile.mkstemp(prefix=".gradlab-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        if info is not None and info.st_nlink > 1:
            _rewrite_in_place(target, text)  # replacing it would split the hard links
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return target


def _rewrite_in_place(path: str, text: str) -> None:
    with open(path, "r+", encoding="utf-8", newline="") as stream:
        stream.write(text)
        stream.truncate()
        stream.flush()
        os.fsync(stream.fileno())
