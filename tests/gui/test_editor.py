"""The code editor as a person uses it: colours, indentation, error marks, signals."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

from gradlab.gui.editor import CodeEditor


@pytest.fixture
def editor(qtbot):
    widget = CodeEditor()
    widget.resize(640, 480)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.setFocus()
    return widget


def _format_at(editor: CodeEditor, line: int, column: int) -> QTextCharFormat:
    """The highlighter's format on a 0-based line and column (an empty format when plain)."""
    ranges = editor.document().findBlockByNumber(line).layout().formats()
    for format_range in ranges:
        if format_range.start <= column < format_range.start + format_range.length:
            return QTextCharFormat(format_range.format)  # a copy outlives the range list
    return QTextCharFormat()


def _color_at(editor: CodeEditor, line: int, column: int) -> str:
    return _format_at(editor, line, column).foreground().color().name()


def _put_cursor(editor: CodeEditor, line: int, column: int) -> None:
    cursor = QTextCursor(editor.document().findBlockByNumber(line))
    cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, column)
    editor.setTextCursor(cursor)


def _undo(qtbot, editor: CodeEditor) -> None:
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


# -- highlighting -------------------------------------------------------------


def test_keywords_and_strings_look_different_from_identifiers(editor):
    editor.set_text_silently('def f(x):\n    return x + "text"\n')
    keyword = _format_at(editor, 0, 0)  # def
    identifier = _format_at(editor, 1, 11)  # x
    string = _format_at(editor, 1, 16)  # "text"
    assert keyword.foreground().color() != identifier.foreground().color()
    assert keyword.fontWeight() != identifier.fontWeight()
    assert string.foreground().color() != identifier.foreground().color()
    assert string.foreground().color() != keyword.foreground().color()
    assert _format_at(editor, 1, 4).foreground().color() == keyword.foreground().color()  # return


def test_typed_code_is_highlighted(qtbot, editor):
    qtbot.keyClicks(editor, "return value")
    assert _format_at(editor, 0, 0).foreground().style() != Qt.BrushStyle.NoBrush  # keyword coloured
    assert _format_at(editor, 0, 8).foreground().style() == Qt.BrushStyle.NoBrush  # identifier plain


def test_middle_line_of_a_docstring_is_a_string_until_the_opening_quotes_go(qtbot, editor):
    editor.set_text_silently('x = 1\n"""Start\nmiddle words\nend"""\ny = 2\n')
    string_color = _color_at(editor, 1, 0)
    assert _color_at(editor, 2, 0) == string_color
    assert _color_at(editor, 2, 7) == string_color
    assert _color_at(editor, 4, 0) != string_color  # y, after the docstring

    _put_cursor(editor, 1, 3)
    for _ in range(3):
        qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.document().findBlockByNumber(1).text() == "Start"
    assert _color_at(editor, 2, 0) != string_color
    assert _color_at(editor, 1, 0) != string_color

    _undo(qtbot, editor)
    assert editor.document().findBlockByNumber(1).text() == '"""Start'
    assert _color_at(editor, 2, 0) == string_color


def test_typing_opening_quotes_recolours_the_lines_below(qtbot, editor):
    editor.set_text_silently("a = 1\n\nb = 2\n'''\n")
    before = _color_at(editor, 2, 0)
    _put_cursor(editor, 0, 0)
    qtbot.keyClicks(editor, "'''")
    # the empty line 1 looks the same either way; line 2 must still be recoloured
    assert _color_at(editor, 2, 0) != before
    assert _color_at(editor, 2, 0) == _color_at(editor, 0, 0)


def test_characters_outside_the_bmp_do_not_shift_the_colours(editor):
    editor.set_text_silently('a = "\U0001F600" + b\n')  # the emoji is two UTF-16 units in Qt
    string_color = _color_at(editor, 0, 4)
    assert _color_at(editor, 0, 7) == string_color  # closing quote
    assert _color_at(editor, 0, 9) not in (string_color, QTextCharFormat().foreground().color().name())  # +
    assert _format_at(editor, 0, 11).foreground().style() == Qt.BrushStyle.NoBrush  # b


def test_highlighting_a_300_line_file_is_quick(editor):
    lines = []
    for index in range(60):
        lines += [
            f"def function_{index}(x, y=2):",
            f'    """Docstring {index}.',
            "    more words",
            '    """',
            f"    return x * y + {index}  # comment",
        ]
    text = "\n".join(lines) + "\n"
    start = time.perf_counter()
    editor.set_text_silently(text)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.2
    last_def = 295
    assert editor.document().findBlockByNumber(last_def).text().startswith("def ")
    assert _color_at(editor, last_def, 0) == _color_at(editor, 0, 0)
    assert _color_at(editor, last_def + 2, 4) == _color_at(editor, 1, 4)  # inside the last docstring


# -- indentation ----------------------------------------------------------------


def test_enter_after_a_colon_indents_and_enter_keeps_the_indent(qtbot, editor):
    qtbot.keyClicks(editor, "def f(x):")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "y = x")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "return y")
    assert editor.toPlainText() == "def f(x):\n    y = x\n    return y"


def test_enter_after_a_colon_with_a_comment_indents(qtbot, editor):
    qtbot.keyClicks(editor, "if x:  # note")
    qtbot.keyClick(editor, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    qtbot.keyClicks(editor, "pass")
    assert editor.toPlainText() == "if x:  # note\n    pass"


def test_enter_after_a_colon_inside_a_string_does_not_indent(qtbot, editor):
    qtbot.keyClicks(editor, 'print("a:")')
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "z")
    assert editor.toPlainText() == 'print("a:")\nz'


def test_tab_inserts_four_spaces_and_shift_tab_removes_them(qtbot, editor):
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClicks(editor, "x")
    assert editor.toPlainText() == "    x"
    qtbot.keyClick(editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "x"
    assert editor.textCursor().positionInBlock() == 1


def test_tab_pads_to_the_next_multiple_of_four(qtbot, editor):
    qtbot.keyClicks(editor, "ab")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    qtbot.keyClicks(editor, "c")
    assert editor.toPlainText() == "ab  c"


def test_backspace_in_indentation_removes_four_spaces(qtbot, editor):
    editor.set_text_silently("        x")
    _put_cursor(editor, 0, 8)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.toPlainText() == "    x"
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.toPlainText() == "x"


def test_backspace_after_code_removes_one_character(qtbot, editor):
    editor.set_text_silently("    xy  ")
    _put_cursor(editor, 0, 8)
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.toPlainText() == "    xy "


def test_tab_and_shift_tab_with_two_selected_lines(qtbot, editor):
    editor.set_text_silently("a = 1\nb = 2\nc = 3")
    cursor = QTextCursor(editor.document().findBlockByNumber(0))
    cursor.setPosition(editor.document().findBlockByNumber(1).position() + 2, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "    a = 1\n    b = 2\nc = 3"
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "        a = 1\n        b = 2\nc = 3"
    qtbot.keyClick(editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "    a = 1\n    b = 2\nc = 3"


@pytest.mark.parametrize(
    ("text", "line", "column", "key", "modifier", "expected"),
    [
        ("def f(x):", 0, 9, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "def f(x):\n    "),
        ("    y = 1", 0, 9, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, "    y = 1\n    "),
        ("x", 0, 0, Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier, "    x"),
        ("    x", 0, 4, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier, "x"),
        ("        x", 0, 8, Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier, "    x"),
    ],
)
def test_each_indentation_action_is_one_undo_step(qtbot, editor, text, line, column, key, modifier, expected):
    editor.set_text_silently(text)
    _put_cursor(editor, line, column)
    qtbot.keyClick(editor, key, modifier)
    assert editor.toPlainText() == expected
    _undo(qtbot, editor)
    assert editor.toPlainText() == text
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == expected


def test_indenting_a_selection_is_one_undo_step(qtbot, editor):
    editor.set_text_silently("a\nb\nc")
    cursor = QTextCursor(editor.document())
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "    a\n    b\n    c"
    _undo(qtbot, editor)
    assert editor.toPlainText() == "a\nb\nc"


def test_set_text_silently_clears_the_undo_history(qtbot, editor):
    qtbot.keyClicks(editor, "typed")
    editor.set_text_silently("loaded")
    assert not editor.document().isUndoAvailable()
    _undo(qtbot, editor)
    assert editor.toPlainText() == "loaded"


# -- error marks, navigation, signals ------------------------------------------


def test_error_marks_mark_only_their_lines_and_clear(editor):
    editor.set_text_silently("a = 1\nb = 2\nc = 3\n")
    editor.set_error_marks({2: "NameError: name 'q' is not defined"})
    assert editor.message_at_line(2) == "NameError: name 'q' is not defined"
    assert editor.message_at_line(1) is None
    assert editor.message_at_line(3) is None
    assert editor.error_marks() == {2: "NameError: name 'q' is not defined"}
    editor.error_marks()[3] = "not stored"  # a copy
    assert editor.message_at_line(3) is None

    tinted = [
        s.cursor.blockNumber() for s in editor.extraSelections() if s.format.background().color().red() > s.format.background().color().green()
    ]
    assert 1 in tinted

    editor.set_error_marks({3: "second run"})
    assert editor.error_marks() == {3: "second run"}
    editor.clear_error_marks()
    assert editor.error_marks() == {}
    assert editor.message_at_line(3) is None
    assert len(editor.extraSelections()) == 1  # only the current line


def test_hovering_the_margin_of_a_marked_line_shows_its_message(qtbot, editor):
    editor.set_text_silently("a = 1\nb = q\n")
    editor.set_error_marks({2: "NameError: name 'q' is not defined"})
    margin = editor.findChild(QWidget, "line_number_area")
    second_line = editor.document().findBlockByNumber(1)
    y = int(editor.blockBoundingGeometry(second_line).translated(editor.contentOffset()).center().y())
    point = QPoint(5, y)
    QApplication.sendEvent(margin, QHelpEvent(QEvent.Type.ToolTip, point, margin.mapToGlobal(point)))
    assert QToolTip.isVisible()
    assert QToolTip.text() == "NameError: name 'q' is not defined"
    QToolTip.hideText()


def test_go_to_line_moves_the_cursor(editor):
    editor.set_text_silently("\n".join(f"line_{i} = {i}" for i in range(1, 201)))
    editor.go_to_line(150)
    assert editor.textCursor().blockNumber() == 149
    assert editor.textCursor().positionInBlock() == 0
    assert editor.firstVisibleBlock().blockNumber() > 100  # scrolled there
    editor.go_to_line(10_000)
    assert editor.textCursor().blockNumber() == 199


def test_text_edited_fires_on_typing_but_not_on_silent_loads(qtbot, editor):
    edits = []
    editor.text_edited.connect(lambda: edits.append(1))
    editor.set_text_silently("loaded = True\n")
    assert edits == []
    assert editor.toPlainText() == "loaded = True\n"
    with qtbot.waitSignal(editor.text_edited, timeout=1000):
        qtbot.keyClicks(editor, "x")
    assert edits


def test_colouring_a_loaded_text_later_is_not_an_edit(qtbot):
    """The deferred highlighter re-colours a turn after it is attached; an edit would re-run the file."""
    widget = CodeEditor(defer_highlighting=True)
    qtbot.addWidget(widget)
    edits = []
    widget.text_edited.connect(lambda: edits.append(1))
    widget.set_text_silently("import torch\n\nclass Square(torch.autograd.Function):\n    pass\n")
    widget.show()
    qtbot.wait(200)
    assert widget.highlighter.document() is widget.document()
    assert _color_at(widget, 0, 0) != _color_at(widget, 0, 7), "the text was coloured"
    assert edits == []
    with qtbot.waitSignal(widget.text_edited, timeout=1000):
        qtbot.keyClicks(widget, "x")


def test_line_number_area_grows_with_the_line_count(editor):
    editor.set_text_silently("x\n")
    narrow = editor.viewportMargins().left()
    editor.set_text_silently("x\n" * 1_000)
    assert editor.viewportMargins().left() > narrow
