"""File › New, Open, Save, Save As, Export; the unsaved-changes prompt; restoring autosaved text.

Nothing is lost: replacing a modified buffer asks first, a discarded buffer
forgets its autosave, and restored text waits for F5.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from gradlab.gui.autosave import AutosavedBuffer
from gradlab.gui.document import Document
from gradlab.gui.file_reading import read_source_in_time
from gradlab.gui.file_runner import FileRunner
from gradlab.gui.problems import ProblemsLine
from gradlab.model.builtins import default_example, new_function_template
from gradlab.model.curve_table import write_csv
from gradlab.model.problems import UserCodeError
from gradlab.model.results import CurveSet, Problem


class FileActions(QObject):
    """What the File menu does, for one window's document."""

    def __init__(self, window: QMainWindow, document: Document, runner: FileRunner, problems: ProblemsLine, curves: Callable[[], CurveSet | None]) -> None:
        super().__init__(window)
        self.window, self.document, self.runner, self.problems = window, document, runner, problems
        self._curves = curves
        self.restore_dialog: QMessageBox | None = None
        self._pending_restores: list[AutosavedBuffer] = []
        self._asks = True  # False once keep_unsaved(): a close nobody may answer

    def _status(self, text: str, ms: int = 8000) -> None:
        self.window.statusBar().showMessage(text, ms)

    # -- opening ----------------------------------------------------------
    def open_file(self, path: str, run: bool = True) -> bool:
        """Open a function file and (with ``run``) run it; False, with a message, when it cannot be read or the user cancelled."""
        path = os.path.abspath(path)
        if (path != self.document.path or self.document.modified) and not self.maybe_save():
            return False  # reopening the current file would replace its unsaved edits too
        try:
            text = read_source_in_time(path)
        except UserCodeError as exc:
            self.problems.show_problem(exc.problem)
            return False
        self.document.open(path, text)
        self.document.settings.setValue("last_file", path)
        if run:
            self.runner.run()
        else:
            problem = Problem("load", f"{path}: restored from your last session and not run yet", hint="press F5 to run it")
            self.runner.wait_for_run(problem)
            self.problems.show_problem(problem)
        return True

    def open_last_session(self) -> None:
        """Reopen the last file: a built-in example runs; the user's own file waits for F5 (opening is what runs code)."""
        last = self.document.settings.value("last_file", "", str)
        if last and os.path.exists(last) and not self.document.is_builtin(last):
            self.open_file(last, run=False)
        else:
            self.open_file(last if last and os.path.exists(last) else str(default_example()))

    def new_file(self) -> None:
        """Start an untitled buffer from a template Function (unmodified until typed in)."""
        if self.maybe_save():
            self.document.new_untitled(new_function_template())
            self.runner.run()

    def on_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open function file", "", "Python files (*.py)")
        if path:
            self.open_file(path)

    # -- saving -----------------------------------------------------------
    def save(self) -> bool:
        """Save to the current path; built-in examples and untitled buffers go through Save As.

        When someone else changed the file on disk since it was opened or saved
        here, ask before overwriting it, every time.
        """
        if self.document.is_builtin() or self.document.is_untitled():
            return self.on_save_as()
        if self.document.changed_on_disk() and not self.ask_overwrite():
            return False
        return self.save_as(self.document.path)

    def ask_overwrite(self) -> bool:
        """Ask whether to overwrite a file that changed on disk; True to overwrite."""
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Warning, "gradlab", f"{self.document.name()} changed on disk since you opened it.", buttons.Save | buttons.Cancel, self.window)
        box.setObjectName("overwriteDialog")
        box.setInformativeText("Overwrite it with your text? Cancel keeps both: reload, or Save As elsewhere.")
        box.button(buttons.Save).setText("Overwrite")
        box.setDefaultButton(buttons.Cancel)
        return buttons(box.exec()) == buttons.Save

    def save_as(self, path: str) -> bool:
        """Write the text to ``path`` atomically and make it the current file."""
        try:
            self.document.save_as(path)
        except OSError as exc:
            self.problems.show_problem(Problem("load", f"{os.path.abspath(path)}: could not save: {exc.strerror or exc}"))
            return False
        return True

    def on_save_as(self) -> bool:
        start = os.path.basename(self.document.path or "function.py") if self.document.is_builtin() else (self.document.path or "")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save function file", start, "Python files (*.py)")
        return bool(path) and self.save_as(path)

    def ask_unsaved(self) -> str:
        """Ask what to do with unsaved changes: ``"save"``, ``"discard"`` or ``"cancel"``."""
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Warning, "gradlab", f"{self.document.name()} has unsaved changes.", buttons.Save | buttons.Discard | buttons.Cancel, self.window)
        box.setObjectName("unsavedDialog")
        box.setInformativeText("Save them before going on?")
        box.setDefaultButton(buttons.Save)
        answer = box.exec()
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(buttons(answer), "cancel")

    def keep_unsaved(self) -> None:
        """From now on replace or close without asking: unsaved text stays in the autosave, offered back at the next launch.

        For a close nobody may answer a question for (SIGTERM).
        """
        self.document.autosave_now()
        self._asks = False

    def maybe_save(self) -> bool:
        """True when it is safe to replace the buffer: nothing unsaved, saved now, or discarded on purpose."""
        if not self.document.modified or not self._asks:
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        if answer == "discard":
            self.document.discard_unsaved()
            return True
        return False

    # -- the disk and the autosave ----------------------------------------
    def reload_from_disk(self) -> None:
        disk = self.document.disk_text()
        if disk is None:
            return
        self.document.open(self.document.path, disk)
        self.document.discard_unsaved()
        self.runner.run()

    def restore_buffer(self, buffer: AutosavedBuffer) -> None:
        """Put an autosaved buffer back in the editor, unsaved, without running it."""
        if self.document.modified and not self.maybe_save():
            return
        disk = buffer.disk_text()
        self.document.open(buffer.path, buffer.text, saved_text=disk if disk is not None else "")
        self.document.autosave_now()  # now this window's record: a crash right after loses nothing
        buffer.record.unlink(missing_ok=True)  # the dead owner's record is adopted, not offered twice
        problem = Problem("load", f"{buffer.path}: restored unsaved text from {time.ctime(buffer.saved_at)}", hint="save it, or press F5 to run it")
        self.runner.wait_for_run(problem)
        self.problems.show_problem(problem)

    def offer_restores(self) -> None:
        """Offer back, one by one, the unsaved text left by a session that did not end cleanly."""
        self._pending_restores = self.document.autosave.pending()
        if self._pending_restores:
            QTimer.singleShot(0, self._offer_next_restore)

    def _offer_next_restore(self) -> None:
        if not self._pending_restores:
            return
        buffer = self._pending_restores.pop(0)
        box = QMessageBox(QMessageBox.Icon.Question, "gradlab", f"Unsaved text of {buffer.path} was left from {time.ctime(buffer.saved_at)}.", QMessageBox.StandardButton.NoButton, self.window)
        box.setObjectName("restoreDialog")
        box.setInformativeText("Restore it? Details shows what differs from the file on disk. Nothing runs until you press F5.")
        box.setDetailedText(buffer.diff())
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        restore.setObjectName("restoreButton")
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        discard.setObjectName("discardRestoreButton")
        restore.clicked.connect(lambda: self.restore_buffer(buffer))
        discard.clicked.connect(lambda: buffer.record.unlink(missing_ok=True))
        box.finished.connect(lambda _result: QTimer.singleShot(0, self._offer_next_restore))
        self.restore_dialog = box
        box.open()

    # -- exports ----------------------------------------------------------
    def export_plots(self, path: str) -> str | None:
        """Write the shown curves as a three-panel PNG or SVG (by extension; none means PNG); the path written, or None."""
        if not path.lower().endswith((".png", ".svg")):
            path += ".png"
        from gradlab.gui.figure import export_figure

        return self._export(path, lambda curves: export_figure(curves, path))

    def export_csv(self, path: str) -> str | None:
        """Write the shown curves as CSV, the columns of ``gradlab plot --out x.csv``; the path written, or None."""
        if not path.lower().endswith(".csv"):
            path += ".csv"
        return self._export(path, lambda curves: write_csv(curves, path))

    def _export(self, path: str, write) -> str | None:
        curves = self._curves()
        if curves is None:
            self._status("nothing to export yet: no curves have been drawn")
            return None
        try:
            write(curves)
        except OSError as exc:
            self._status(f"could not export {path}: {exc.strerror or exc}", 15000)
            return None
        self._status(f"exported {path}")
        return path

    def on_export_plots(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export plots", "curves.png", "Images (*.png *.svg)")
        if path:
            self.export_plots(path)

    def on_export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export curves", "curves.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)
