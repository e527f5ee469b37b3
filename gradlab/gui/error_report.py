"""One place for errors in gradlab itself: a dialog with the message, a Details traceback and Copy.

Installed as ``sys.excepthook`` and ``threading.excepthook`` while the app
runs.  Set ``GRADLAB_DEBUG=1`` to keep Python's own hooks (tracebacks on the
terminal) for debugging.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

DEBUG_VARIABLE = "GRADLAB_DEBUG"


class ErrorReporter(QObject):
    """Shows unexpected exceptions; exceptions from other threads are shown on the GUI thread."""

    reported = Signal(str, str)  # message, details

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self.dialog: QMessageBox | None = None
        self.copy_button: QPushButton | None = None
        self.reported.connect(self._show)
        self._previous = None

    def install(self) -> bool:
        """Become ``sys.excepthook`` and ``threading.excepthook``; False (and nothing done) under GRADLAB_DEBUG."""
        if os.environ.get(DEBUG_VARIABLE):
            return False
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = lambda args: self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)
        return True

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def excepthook(self, exc_type, exc_value, exc_traceback) -> None:
        """Report an exception from any thread (as ``sys.excepthook`` would receive it)."""
        details = "".join(traceback.format_exception(exc_type, exc_value, exc_traceback))
        message = f"gradlab hit an internal error: {exc_type.__name__}: {exc_value}"
        print(details, file=sys.stderr)  # also on the terminal, for bug reports
        self.reported.emit(message, details)

    def _show(self, message: str, details: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "gradlab: internal error", message, QMessageBox.StandardButton.Ok, self._parent)
        box.setObjectName("internalErrorDialog")
        box.setInformativeText("Your text is safe: the editor keeps it and it is autosaved. Please report this with the details.")
        box.setDetailedText(details)
        copy = QPushButton("Copy details")
        copy.setObjectName("copyErrorDetails")
        box.addButton(copy, QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()  # keep the dialog open after copying
        copy.clicked.connect(lambda: QApplication.clipboard().setText(f"{message}\n\n{details}"))
        self.dialog, self.copy_button = box, copy
        box.open()
