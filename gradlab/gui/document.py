"""The file being edited: its path, its text, the text on disk, and nothing lost in between.

A :class:`Document` is torch-free.  It wraps the editor's text and knows the
text last saved (or opened), so *modified* means exactly "differs from the
saved text": undoing back to it clears the mark and drops the autosave.  Each
text the engine may run gets a new :attr:`Document.revision`; results are
stamped with it (see :mod:`gradlab.gui.session`).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QSettings, QStandardPaths, QTimer, Signal

from gradlab.gui.autosave import AutosaveStore
from gradlab.gui.editor import CodeEditor
from gradlab.gui.file_io import write_text_atomically
from gradlab.gui.file_reading import read_source_in_time
from gradlab.model.builtins import builtin_functions_dir
from gradlab.model.problems import UserCodeError
from gradlab.model.requests import Source

#: How often unsaved text is written to the autosave folder.
AUTOSAVE_MS = 3000
#: How often a deleted file is looked for again (a git checkout, a stash pop recreates it).
REAPPEAR_POLL_MS = 500
RECENT_LIMIT = 10
UNTITLED_PREFIX = "untitled-"
_untitled = itertools.count(1)


def untitled_folder() -> str:
    """Where untitled buffers are named: the app's own data folder, readable by this user only.

    Never the shared temp folder, where another local user could plant
    modules beside the buffer.
    """
    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)) / "gradlab" / "untitled"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return str(folder)


def read_disk(path: str) -> str | None:
    """``path``'s text, or None when it cannot be read."""
    try:
        return read_source_in_time(path)
    except UserCodeError:
        return None


class Document(QObject):
    """The current file of the window: path, text (in ``editor``), saved text, revision.

    Parameters
    ----------
    editor : CodeEditor
        Holds the text; the document follows its edits.
    settings : QSettings
        Where the last file and the recent files are kept.
    autosave : AutosaveStore, optional
        Where unsaved text is written every few seconds.

    Signals
    -------
    opened(str)
        Another file (or another text of the same path, reloaded) is now shown.
    edited(int)
        The text changed through editing; the argument is the new revision.
    saved(str)
        The text was written to this path, which is now the document's.
    modified_changed(bool)
        The text started or stopped differing from the saved text.
    disk_changed(str)
        The file changed on disk (``"changed"``), was removed (``"deleted"``), or
        came back as it was (``"back"``).
    recent_changed(list)
        The recent files, newest first.
    """

    opened = Signal(str)
    edited = Signal(int)
    saved = Signal(str)
    modified_changed = Signal(bool)
    disk_changed = Signal(str)
    recent_changed = Signal(list)

    def __init__(self, editor: CodeEditor, settings: QSettings, autosave: AutosaveStore | None = None) -> None:
        super().__init__(editor)
        self.editor = editor
        self.settings = settings
        self.autosave = autosave or AutosaveStore()
        self.path: str | None = None
        self.saved_text = ""
        self.revision = 0
        self._modified = False
        self._disk_text: str | None = None
        self._autosaved: tuple[str | None, int] | None = None  # (path, revision) last written to the autosave
        self._revisions = itertools.count(1)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_changed)
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start()
        self._reappear_timer = QTimer(self)  # a deleted file is watched for again by polling: the watcher drops it
        self._reappear_timer.setInterval(REAPPEAR_POLL_MS)
        self._reappear_timer.timeout.connect(self._check_reappeared)
        editor.text_edited.connect(self._on_edited)

    # -- what it is -------------------------------------------------------
    def text(self) -> str:
        return self.editor.toPlainText()

    def source(self) -> Source:
        """What the engine runs: the path and the editor's (possibly unsaved) text."""
        return Source(self.path, self.text())

    @property
    def modified(self) -> bool:
        """Whether the text differs from the text last saved or opened."""
        return self._modified

    def is_builtin(self, path: str | None = None) -> bool:
        """Whether ``path`` (default: this document's) is a built-in example."""
        path = path or self.path
        return bool(path) and Path(path).resolve().parent == builtin_functions_dir().resolve()

    def is_untitled(self) -> bool:
        """An untitled buffer: a name only, never written by the user."""
        return bool(self.path) and os.path.basename(self.path).startswith(UNTITLED_PREFIX) and not os.path.exists(self.path)

    def name(self) -> str:
        return os.path.basename(self.path) if self.path else "untitled"

    # -- changing it ------------------------------------------------------
    def open(self, path: str, text: str, saved_text: str | None = None) -> None:
        """Show ``text`` as ``path``; ``saved_text`` (default ``text``) is what counts as unmodified.

        Nothing runs here.  Emits ``opened`` after the new text is in place.
        """
        if self.path and self.path in self._watcher.files():
            self._watcher.removePath(self.path)
        self._reappear_timer.stop()
        self.path = os.path.abspath(path)
        self.saved_text = text if saved_text is None else saved_text
        self.revision = next(self._revisions)
        self.editor.set_text_silently(text)
        self.editor.clear_error_marks()
        self._disk_text = read_disk(self.path)
        if os.path.exists(self.path):
            self._watcher.addPath(self.path)
            if not self.is_builtin():
                self.remember_recent(self.path)
        self._set_modified(self.text() != self.saved_text)
        self.opened.emit(self.path)

    def new_untitled(self, text: str) -> None:
        """An untitled buffer holding ``text`` (a template): unmodified until typed in."""
        self.open(self.untitled_path(), text)

    def untitled_path(self) -> str:
        """A new untitled buffer's name: in a private folder (0700), neither a file nor the key of unsaved text left behind."""
        folder = untitled_folder()
        taken = {buffer.path for buffer in self.autosave.pending()}
        while True:
            path = os.path.join(folder, f"{UNTITLED_PREFIX}{next(_untitled)}.py")
            if path not in taken and not os.path.exists(path):
                return path

    def save_as(self, path: str) -> None:
        """Write the text to ``path`` atomically and make it the document's path (OSError when it cannot)."""
        path = os.path.abspath(path)
        text = self.text()
        write_text_atomically(path, text)
        if self.path and self.path != path:
            self.autosave.discard(self.path)
            if self.path in self._watcher.files():
                self._watcher.removePath(self.path)
        self.autosave.discard(path)
        self.path = path
        self.saved_text = self._disk_text = text
        self._watcher.addPath(path)
        self._set_modified(False)
        self.remember_recent(path)
        self.settings.setValue("last_file", path)
        self.saved.emit(path)

    def accept_as_saved(self) -> None:
        """Count the current text as saved without writing it (scripts and tests that close without a prompt)."""
        self.saved_text = self.text()
        self._set_modified(False)

    def discard_unsaved(self) -> None:
        """The user threw the unsaved text away: forget its autosave."""
        if self.path:
            self.autosave.discard(self.path)
        self._autosaved = None

    def _on_edited(self) -> None:
        self.revision = next(self._revisions)
        self._set_modified(self.text() != self.saved_text)
        self.edited.emit(self.revision)

    def _set_modified(self, modified: bool) -> None:
        self.editor.document().setModified(modified)
        if not modified and self.path:
            self.autosave.discard(self.path)
            self._autosaved = None  # undone back to the saved text: nothing to restore
        if modified != self._modified:
            self._modified = modified
            self.modified_changed.emit(modified)

    # -- nothing lost -----------------------------------------------------
    def autosave_now(self) -> None:
        """Write the text to the autosave folder when it differs from the saved text; else drop the record."""
        if not self.path:
            return
        if not self._modified:
            self.autosave.discard(self.path)
        elif self._autosaved != (self.path, self.revision):  # unchanged since the last write: nothing to do
            self.autosave.save(self.path, self.text())
            self._autosaved = (self.path, self.revision)

    def close(self) -> None:
        """Stop the timer and the watcher; a clean quit keeps no autosave of saved or discarded text."""
        self._autosave_timer.stop()
        self._reappear_timer.stop()
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        if not self._modified:
            self.discard_unsaved()
        self.autosave.close()

    def disk_text(self) -> str | None:
        return read_disk(self.path) if self.path else None

    def _on_file_changed(self, path: str) -> None:
        if path != self.path:
            return
        if os.path.exists(path):
            self._watcher.addPath(path)  # an atomic replace drops the watch
            disk = read_disk(path)
            if disk is not None and disk != self._disk_text:
                self.disk_changed.emit("changed")
        else:
            self._set_modified(True)
            self._reappear_timer.start()
            self.disk_changed.emit("deleted")

    def _check_reappeared(self) -> None:
        if not self.path or not os.path.exists(self.path):
            return
        self._reappear_timer.stop()
        self._watcher.addPath(self.path)
        disk = read_disk(self.path)
        self._set_modified(self.text() != self.saved_text or disk != self._disk_text)
        self.disk_changed.emit("changed" if disk != self._disk_text else "back")

    def changed_on_disk(self) -> bool:
        """Whether the file on disk differs from the text last opened or saved here (someone else wrote it)."""
        if not self.path or not os.path.exists(self.path):
            return False
        return read_disk(self.path) != self._disk_text

    # -- recent files -----------------------------------------------------
    def recent(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        return [p for p in ([value] if isinstance(value, str) else list(value or [])) if p]

    def remember_recent(self, path: str) -> None:
        recent = ([path] + [p for p in self.recent() if p != path])[:RECENT_LIMIT]
        self.settings.setValue("recent_files", recent)
        self.recent_changed.emit(recent)
