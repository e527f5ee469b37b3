"""Live as you type: a keystroke whose text parses runs at once; one that leaves a syntax error waits, then names the line."""

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest

from gradlab.gui.file_runner import SUPERSEDE_AFTER_S, SYNTAX_PAUSE_MS, parses
from tests.gui.conftest import PLOT_MS
from tests.helpers import data


def test_parses_tells_finished_text_from_half_typed_text():
    assert parses("def f(x):\n    return x * 2\n")
    assert not parses("def f(x):\n    return x *\n")
    assert not parses("s = '\\N{\n")  # a half-typed escape is a syntax error, not a crash


def test_each_keystroke_that_parses_runs_at_once_and_a_syntax_error_waits_then_names_its_line(make_window, qtbot):
    window = make_window()
    editor = window.editor
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    lines = editor.toPlainText().count("\n") + 1

    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert window.runner.loading, "a keystroke that parses is loading before the event loop runs again: no debounce"
    for key in (Qt.Key.Key_NumberSign, Qt.Key.Key_A):
        QTest.keyClick(editor, key)  # typed faster than the engine answers: older loads are superseded
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        pass
    qtbot.waitUntil(lambda: window.curves_view.shown_revision == window.document.revision, timeout=PLOT_MS)
    assert window.plot_panel.stamp.text().endswith(f"revision {window.document.revision}")

    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.curves_view.shown_revision == window.document.revision, timeout=PLOT_MS)
    QTest.keyClick(editor, Qt.Key.Key_ParenLeft)  # "(" alone: not Python yet
    assert not window.runner.loading, "a half-typed line does not run at each keystroke"
    with qtbot.waitSignal(window.run_failed, timeout=SYNTAX_PAUSE_MS + PLOT_MS) as failed:
        pass
    problem = failed.args[0]
    assert problem.location is not None and problem.location.lineno == lines + 2, problem
    assert window.plot_panel.curves() is not None, "the last good curves stay while the text does not parse"

    QTest.keyClick(editor, Qt.Key.Key_Backspace)
    assert window.runner.loading
    qtbot.waitUntil(lambda: window.curves_view.shown_revision == window.document.revision, timeout=PLOT_MS)
    assert window.problems.text() == ""


def test_a_newer_edit_stops_a_slow_plot_of_an_older_revision_without_calling_it_an_error(make_window, qtbot):
    window = make_window()
    window.open_file(data("sleeps_in_forward.py"))
    qtbot.waitUntil(lambda: (job := window.session.running()) is not None and job.channel == "curves", timeout=PLOT_MS)
    slow = window.session.running()
    qtbot.waitUntil(lambda: time.monotonic() - slow.started_at >= SUPERSEDE_AFTER_S, timeout=5000)
    edited = time.monotonic()
    window.editor.setPlainText(window.editor.toPlainText().replace("SLEEP = 3.0", "SLEEP = 0.0"))
    qtbot.waitUntil(lambda: slow.is_finished, timeout=2500)  # its forward had seconds of sleep left
    assert time.monotonic() - edited < 2.5 and slow.state == "cancelled" and slow.answer.kind == "superseded", slow.answer
    qtbot.waitUntil(lambda: window.curves_view.shown_revision == window.document.revision, timeout=PLOT_MS)
    assert window.problems.text() == "", "a superseded plot is not a problem"
