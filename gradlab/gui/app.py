"""Start the desktop app: one QApplication, one MainWindow, errors reported in one place.

SIGTERM, SIGINT (Ctrl+C in the terminal) and SIGHUP close the window as its
close button does, so the session stops its engines; unsaved text goes to the
autosave, to be offered back next time, instead of into a dialog nobody may
be there to answer.  The exit status is then 128 + the signal's number.
"""

from __future__ import annotations

import os
import signal
import sys

#: Signals that close the window.
CLOSING_SIGNAL_NAMES = ("SIGTERM", "SIGINT", "SIGHUP")
#: How often (ms) the event loop hands Python control, so that its signal handlers run.
SIGNAL_POLL_MS = 200


def run(path: str | None = None) -> int:
    """Show the window on ``path`` (or the last file, or the built-in Sigmoid) and run the event loop.

    Parameters
    ----------
    path : str or None
        The function file to open first.

    Returns
    -------
    int
        The event loop's exit status; 128 + the signal's number when a signal
        closed the window; or ``EXIT_NO_DISPLAY`` (2) with a message on stderr
        when there is no display, before Qt or the engine start.
    """
    from gradlab.gui.qt_setup import EXIT_NO_DISPLAY, display_problem, ensure_application, no_display_message

    if (problem := display_problem(os.environ, sys.platform)) is not None:
        print(no_display_message(problem), file=sys.stderr)
        return EXIT_NO_DISPLAY

    from gradlab.model.builtins import default_example

    app = ensure_application()
    from gradlab.gui.error_report import ErrorReporter
    from gradlab.gui.main_window import MainWindow

    window = MainWindow(open_default=path is None)
    closer = _SignalCloser(app, window)
    reporter = ErrorReporter(window)
    reporter.install()
    if path is not None and not window.open_file(path):
        window.open_file(str(default_example()))
    window.show()
    try:
        status = app.exec()
    finally:
        closer.uninstall()
        reporter.uninstall()
    return 128 + closer.received if closer.received else status


class _SignalCloser:
    """Close ``window`` when a closing signal arrives; a second one ends the process at once.

    A Python signal handler runs only when the interpreter has control, never
    while Qt's event loop waits; a timer hands it control every
    :data:`SIGNAL_POLL_MS`.
    """

    def __init__(self, app, window) -> None:
        from PySide6.QtCore import QTimer

        self.received = 0
        self._app, self._window = app, window
        self._previous = {number: signal.signal(number, self._on_signal) for number in _closing_signals()}
        self._timer = QTimer(window)
        self._timer.timeout.connect(lambda: None)
        self._timer.start(SIGNAL_POLL_MS)

    def uninstall(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _on_signal(self, signum: int, frame) -> None:
        if self.received:  # the first did not close the window in time: stop the engines and go
            from gradlab.engine import stop_all_engines

            stop_all_engines()
            os._exit(128 + signum)
        self.received = signum
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self._close)  # from the event loop, not inside whatever the handler interrupted

    def _close(self, tries: int = 20) -> None:
        """Close the window without a question; first end any modal dialog (a question nobody may be there to answer)."""
        from PySide6.QtCore import QTimer

        dialog = self._app.activeModalWidget()
        if dialog is not None and dialog is not self._window and hasattr(dialog, "reject"):
            dialog.reject()
            closed = False  # the close that asked is still unwinding: close once it has
        else:
            self._window.files.keep_unsaved()  # unsaved text survives, offered back next time; the close asks nothing
            closed = self._window.close()
        if not closed and tries:
            QTimer.singleShot(50, lambda: self._close(tries - 1))


def _closing_signals() -> list[int]:
    return [getattr(signal, name) for name in CLOSING_SIGNAL_NAMES if hasattr(signal, name)]
