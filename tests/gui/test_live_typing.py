"""Live as you type: a keystroke whose text parses runs at once; one that leaves a syntax error waits, then names the line."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtTest import QTest

from gradlab.gui.file_runner import SYNTAX_PAUSE_MS, parses
from tests.gui.conftest import PLOT_MS


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
