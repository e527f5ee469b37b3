"""Autosave of unsaved buffers, so a crash or a kill loses at most a few seconds of typing.

Each buffer is one JSON file in the app's data folder (QStandardPaths), written
atomically; it is removed when the buffer is saved or deliberately discarded.
What is left at the next launch is offered back, with a diff against the disk.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths

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
    """Autosave records in a folder, one per buffer path."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        if folder is None:  # not AppDataLocation: that depends on whoever created the QApplication
            folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)) / "gradlab" / "autosave"
        self.folder = Path(folder)

    def _record(self, path: str) -> Path:
        return self.folder / (hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:16] + ".json")

    def save(self, path: str, text: str) -> None:
        """Write (or overwrite) the record of ``path``'s buffer."""
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"path": os.path.abspath(path), "text": text, "saved_at": time.time()}
        write_text_atomically(str(self._record(path)), json.dumps(record))

    def discard(self, path: str) -> None:
        """Forget ``path``'s buffer (it was saved, or the user threw it away)."""
        try:
            self._record(path).unlink()
        except FileNotFoundError:
            pass

    def pending(self) -> list[AutosavedBuffer]:
        """Every buffer left behind, newest first; unreadable records are skipped."""
        found = []
        for record in self.folder.glob("*.json") if self.folder.is_dir() else []:
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                found.append(AutosavedBuffer(data["path"], data["text"], float(data["saved_at"]), record))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(found, key=lambda b: b.saved_at, reverse=True)
