"""Autosave of unsaved buffers, so a crash or a kill loses at most a few seconds of typing.

Each buffer is one JSON file per owner in the app's data folder (QStandardPaths),
written atomically; it is removed when the buffer is saved, discarded, or undone
back to the saved text.  What a dead owner left is offered back at the next
launch, with a diff against the disk.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths

try:
    import fcntl
except ImportError:  # Windows: records are offered back whenever their owner is not this window
    fcntl = None

from gradlab.gui.file_io import write_text_atomically


@dataclass
class AutosavedBuffer:
    """An unsaved buffer found on disk: whose it was, its text, and when it was written."""

    path: str
    text: str
    saved_at: float
    record: Path

    def disk_text(self) -> str | None:
        """The file's current text on disk, or None when it is gone (or was never saved)."""
        try:
            return Path(self.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def diff(self) -> str:
        """A unified diff from the disk's text to the autosaved one."""
        disk = self.disk_text()
        before = "" if disk is None else disk
        lines = difflib.unified_diff(
            before.splitlines(keepends=True),
            self.text.splitlines(keepends=True),
            fromfile=f"{self.path} (on disk)" if disk is not None else f"{self.path} (not on disk)",
            tofile=f"{self.path} (autosaved {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(self.saved_at))})",
        )
        return "".join(lines) or "(no differences)"


class AutosaveStore:
    """Autosave records in a folder: one per buffer path *and* per owner.

    Each store (one per window's document) has an owner id and holds an
    exclusive lock on ``<owner>.lock`` for as long as it lives, so a record is
    offered back only when its owner is gone (crashed, killed): two windows on
    one file keep two records, and a second instance never offers, or
    discards, the text of one still running.

    Parameters
    ----------
    folder : path, optional
        Where the records live (default: the app's data folder).
    """

    _owners = itertools.count(1)

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        if folder is None:  # not AppDataLocation: that depends on whoever created the QApplication
            folder = default_folder()
        self.folder = Path(folder)
        self.owner = f"{os.getpid()}-{next(self._owners)}-{secrets.token_hex(3)}"
        self._lock = None

    def _record(self, path: str) -> Path:
        return self.folder / f"{hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:16]}.{self.owner}.json"

    def _hold_lock(self) -> None:
        """Take this owner's lock the first time a record is written (released when the process dies)."""
        if self._lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = _OwnerLock(self.folder / f"{self.owner}.lock")

    def save(self, path: str, text: str) -> None:
        """Write (or overwrite) this owner's record of ``path``'s buffer."""
        self._hold_lock()
        record = {"path": os.path.abspath(path), "text": text, "saved_at": time.time(), "owner": self.owner}
        write_text_atomically(str(self._record(path)), json.dumps(record))

    def saved_text(self, path: str) -> str | None:
        """The text this owner last autosaved for ``path``, or None."""
        try:
            return json.loads(self._record(path).read_text(encoding="utf-8"))["text"]
        except (OSError, ValueError, KeyError):
            return None

    def discard(self, path: str) -> None:
        """Forget this owner's record of ``path`` (it was saved, or the user threw it away)."""
        try:
            self._record(path).unlink()
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """A clean end: drop the lock (records still here are unsaved text, offered at the next launch)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def pending(self) -> list[AutosavedBuffer]:
        """Every buffer left behind by an owner that is gone, newest first; unreadable records are skipped."""
        found = []
        for record in self.folder.glob("*.json") if self.folder.is_dir() else []:
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                buffer = AutosavedBuffer(data["path"], data["text"], float(data["saved_at"]), record)
            except (OSError, ValueError, KeyError, TypeError):
                continue
            owner = data.get("owner")
            if owner == self.owner or (owner and _OwnerLock.is_held(self.folder / f"{owner}.lock")):
                continue  # this window's own, or another instance's that is still running
            found.append(buffer)
        return sorted(found, key=lambda b: b.saved_at, reverse=True)


def default_folder() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)) / "gradlab" / "autosave"


class _OwnerLock:
    """An exclusive ``flock`` on a file, held while its process lives (the kernel drops it when the process dies)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = open(path, "a+")  # noqa: SIM115 - held open for the owner's lifetime
        if fcntl is not None:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        self._handle.close()
        self.path.unlink(missing_ok=True)

    @staticmethod
    def is_held(path: Path) -> bool:
        """Whether a live owner holds ``path`` (False when the file is gone or its lock is free)."""
        if fcntl is None or not path.exists():
            return False
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
