"""Start the desktop app: one QApplication, one MainWindow, errors reported in one place."""

from __future__ import annotations


def run(path: str | None = None) -> int:
    """Show the window on ``path`` (or the last file, or the built-in Sigmoid) and run the event loop."""
    from gradlab.model.builtins import default_example
    from gradlab.gui.qt_setup import ensure_application

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
