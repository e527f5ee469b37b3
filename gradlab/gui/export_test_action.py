"""File › Export test…: the current Function's checks, with the Gradcheck tab's options, as a pytest file.

The text comes from :func:`gradlab.model.export_test.pytest_file_text`; the
file it writes imports the function file from disk and needs no gradlab.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog, QMainWindow

from gradlab.model.export_test import pytest_file_text, write_pytest_file


def export_test(window: QMainWindow, path: str) -> str | None:
    """Write the test file for ``window``'s current Function to ``path`` (``.py`` added); the path written, or None.

    Each outcome is said in the status bar: an untitled buffer must be saved
    first, and unsaved edits are not in the test, which imports the file on disk.
    """
    status = window.statusBar().showMessage
    document, runner = window.document, window.runner
    info = runner.function_info()
    if not document.path or document.is_untitled():
        status("save the file first: the exported test imports it from disk", 15000)
        return None
    if info is None:
        status("nothing to export yet: the file has not loaded", 15000)
        return None
    window.build_deferred()
    try:
        options = window.gradcheck.options()
    except ValueError as exc:
        status(f"could not export the test: {exc}", 15000)
        return None
    if not path.lower().endswith(".py"):
        path += ".py"
    ops = [info.name] if info.kind == "custom_op" else []
    text = pytest_file_text(document.path, [info.name], options, ops=ops, test_path=path, made_by="File \u203a Export test\u2026")
    try:
        write_pytest_file(path, text)
    except OSError as exc:
        status(f"could not export {path}: {exc.strerror or exc}", 15000)
        return None
    unsaved = " (it imports the saved file: your unsaved edits are not in it)" if document.modified else ""
    status(f"exported {path}: run it with pytest{unsaved}", 15000)
    return path


def on_export_test(window: QMainWindow) -> None:
    """Ask where to write the test, beside the function file (a built-in example: the current folder), then write it."""
    stem = os.path.splitext(window.document.name())[0]
    folder = os.getcwd() if not window.document.path or window.document.is_builtin() else os.path.dirname(window.document.path)
    path, _ = QFileDialog.getSaveFileName(window, "Export test", os.path.join(folder, f"test_{stem}.py"), "Python (*.py)")
    if path:
        export_test(window, path)
