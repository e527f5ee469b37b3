"""Start the desktop app: one QApplication, one MainWindow, errors reported in one place."""

from __future__ import annotations

import os
import sys


def run(path: str | None = None) -> int:
    """Show the window on ``path`` (or the last file, or the built-in Sigmoid) and run the event loop.

    Parameters
    ----------
    path : str or None
        The function file to open first.

    Returns
    -------
    int
        The event loop's exit status, or ``EXIT_NO_DISPLAY`` (2) with a message
        on stderr when there is no display, before Qt or the engine start.
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
    reporter = ErrorReporter(window)
    reporter.install()
    if path is not None and not window.open_file(path):
        window.open_file(str(default_example()))
    window.show()
    try:
        return app.exec()
    finally:
        reporter.uninstall()
