"""The code editor where people write their autograd Functions.

``CodeEditor`` is a ``QPlainTextEdit`` with line numbers, Python-style
four-space indentation, a current-line highlight and error marks in the
margin; ``PythonHighlighter`` colours it with Pygments. Nothing here knows
about torch: the window tells the editor which lines to mark.
"""

from __future__ import annotations

from pygments.lexers import PythonLexer
from pygments.styles import get_style_by_name
from pygments.token import Token
from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip, QWidget

from gradlab.model.source_text import MAX_FILE_BYTES

INDENT = 4
DEFAULT_STYLE = "default"

GUTTER_BACKGROUND = QColor("#f0f0f0")
GUTTER_NUMBER = QColor("#8a8a8a")
GUTTER_CURRENT_NUMBER = QColor("#303030")
ERROR_MARKER = QColor("#d32f2f")
ERROR_LINE_BACKGROUND = QColor(230, 40, 40, 40)  # translucent, so the current line still shows through


def _char_format(style: dict) -> QTextCharFormat | None:
    """Turn one Pygments style entry into a QTextCharFormat (None when it changes nothing)."""
    fmt = QTextCharFormat()
    if style["color"]:
        fmt.setForeground(QColor("#" + style["color"]))
    if style["bgcolor"]:
        fmt.setBackground(QColor("#" + style["bgcolor"]))
    if style["bold"]:
        fmt.setFontWeight(QFont.Weight.Bold)
    if style["italic"]:
        fmt.setFontItalic(True)
    if style["underline"]:
        fmt.setFontUnderline(True)
    return None if fmt.isEmpty() else fmt


def _utf16_offsets(line: str) -> list[int] | None:
    """Qt columns (UTF-16 code units) of each character of ``line``; None when they equal Python's."""
    if len(line.encode("utf-16-le")) == 2 * len(line):
        return None
    offsets = [0]
    for character in line:
        offsets.append(offsets[-1] + (2 if ord(character) > 0xFFFF else 1))
    return offsets


def _code_before_comment(line: str) -> str:
    """``line`` without its trailing ``#`` comment, ignoring ``#`` inside string literals."""
    quote = None
    i = 0
    while i < len(line):
        character = line[i]
        if quote:
            if character == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif character == "#":
            return line[:i]
        elif character in "\"'":
            quote = character * 3 if line.startswith(character * 3, i) else character
            i += len(quote)
            continue
        i += 1
    return line


def _leading_whitespace(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


class PythonHighlighter(QSyntaxHighlighter):
    """Colour Python source with Pygments' ``PythonLexer`` and a Pygments style.

    The whole document is lexed once per revision, so constructs that span
    lines (triple-quoted strings) are coloured correctly; each block then
    applies its own line's spans. A block's state is a hash of its spans and
    of the token that holds its newline, so an edit that changes how later
    lines look keeps Qt re-highlighting until the formatting settles.

    Parameters
    ----------
    document : QTextDocument
        The document to colour; it becomes the highlighter's parent.
    style_name : str
        A Pygments style name, such as ``"default"`` or ``"friendly"``.
    """

    def __init__(self, document: QTextDocument, style_name: str = DEFAULT_STYLE):
        super().__init__(document)
        self._lexer = PythonLexer()
        self._style = get_style_by_name(style_name)
        self._formats: dict = {}  # token type -> QTextCharFormat | None
        self._lexed_key: tuple[int, int] | None = None
        self._line_spans: list[tuple[tuple[int, int, QTextCharFormat], ...]] = []
        self._line_states: list[int] = []

    @property
    def style(self):
        """The Pygments style class in use."""
        return self._style

    def format_for_token(self, token_type) -> QTextCharFormat | None:
        """The format for a Pygments token type, inherited from its nearest styled parent.

        Parameters
        ----------
        token_type : pygments.token._TokenType
            For example ``Token.Keyword`` or ``Token.Literal.String.Doc``.

        Returns
        -------
        QTextCharFormat or None
            None when the style leaves this token plain.
        """
        if token_type not in self._formats:
            styled = token_type
            while styled.parent is not None and not self._style.styles_token(styled):
                styled = styled.parent
            self._formats[token_type] = _char_format(self._style.style_for_token(styled))
        return self._formats[token_type]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Apply the cached spans of the current block's line (Qt calls this per block)."""
        self._ensure_lexed()
        number = self.currentBlock().blockNumber()
        if 0 <= number < len(self._line_spans):
            for start, length, fmt in self._line_spans[number]:
                self.setFormat(start, length, fmt)
            state = self._line_states[number]
        else:
            state = 0
        if self.currentBlockState() != state:
            self.setCurrentBlockState(state)

    def _ensure_lexed(self) -> None:
        document = self.document()
        key = (document.revision(), document.characterCount())
        if key != self._lexed_key:
            self._lex(document)
            self._lexed_key = key

    def _lex(self, document: QTextDocument) -> None:
        """Lex the whole document and split the tokens into per-line spans."""
        lines = []
        block = document.firstBlock()
        while block.isValid():
            lines.append(block.text())
            block = block.next()
        count = len(lines)
        raw_spans: list[list[list]] = [[] for _ in range(count)]
        line_ends = [Token.Text] * count  # the token holding each line's newline
        line, column = 0, 0
        for _, token_type, value in self._lexer.get_tokens_unprocessed("\n".join(lines) + "\n"):
            fmt = self.format_for_token(token_type)
            for index, part in enumerate(value.split("\n")):
                if index:
                    if line < count:
                        line_ends[line] = token_type
                    line, column = line + 1, 0
                if not part or line >= count:
                    continue
                spans = raw_spans[line]
                if fmt is not None:
                    if spans and spans[-1][2] is fmt and spans[-1][0] + spans[-1][1] == column:
                        spans[-1][1] += len(part)  # merge with the previous span of the same look
                    else:
                        spans.append([column, len(part), fmt])
                column += len(part)
        self._line_spans = []
        self._line_states = []
        for text, spans, line_end in zip(lines, raw_spans, line_ends):
            offsets = _utf16_offsets(text)
            if offsets is not None:
                spans = [[offsets[s], offsets[s + n] - offsets[s], f] for s, n, f in spans]
            frozen = tuple((start, length, fmt) for start, length, fmt in spans)
            signature = (tuple((start, length, id(fmt)) for start, length, fmt in frozen), line_end)
            self._line_spans.append(frozen)
            self._line_states.append(hash(signature) & 0x3FFFFFFF)


class _LineNumberArea(QWidget):
    """The margin left of the text: line numbers and error markers, painted by the editor."""

    def __init__(self, editor: CodeEditor):
        super().__init__(editor)
        self._editor = editor
        self.setObjectName("line_number_area")

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(self._editor.line_number_area_width(), 0)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self._editor._paint_line_number_area(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            line = self._editor._line_at_y(event.pos().y())
            message = self._editor.message_at_line(line) if line is not None else None
            if message:
                QToolTip.showText(event.globalPos(), message, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)


class CodeEditor(QPlainTextEdit):
    """A plain-text Python editor with line numbers, smart indentation and error marks.

    Tab, Shift+Tab, Enter and Backspace follow Python's four-space indentation;
    each of those edits is one undo step. Error marks put a red dot in the
    margin and tint the line; hovering the dot shows the message.

    Parameters
    ----------
    parent : QWidget, optional
        The parent widget.
    style_name : str
        The Pygments style for syntax colours and the editor background.

    Attributes
    ----------
    text_edited : Signal
        Emitted when the text changes through editing (typing, paste, undo),
        not when it is replaced with ``set_text_silently``.
    """

    text_edited = Signal()
    #: A paste was refused; the argument says why (the clipboard still holds it).
    paste_refused = Signal(str)
    #: The most text the editor takes: what a function file may hold (it could not be reopened otherwise).
    max_chars = MAX_FILE_BYTES

    def __init__(self, parent: QWidget | None = None, style_name: str = DEFAULT_STYLE, defer_highlighting: bool = False):
        super().__init__(parent)
        self._error_marks: dict[int, str] = {}
        self._silent = False
        self._known_text = ""  # the text as of the last edit or silent replacement
        self._line_number_area = _LineNumberArea(self)
        self._highlighter = PythonHighlighter(self.document(), style_name)
        if defer_highlighting:
            # Pygments compiles its Python lexer on first use (~0.1 s): colour the text once the
            # window is on screen rather than before.
            self._highlighter.setDocument(None)
            QTimer.singleShot(0, self._attach_highlighter)
        self._current_line_color = QColor(self._highlighter.style.highlight_color or "#ffffcc")

        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._apply_style_palette()
        self._update_tab_stop()

        self.blockCountChanged.connect(self._on_block_count_changed)
        self.updateRequest.connect(self._on_update_request)
        self.cursorPositionChanged.connect(self._on_cursor_position_changed)
        self.textChanged.connect(self._on_text_changed)
        self._update_line_number_area_width()
        self._update_extra_selections()

    def _attach_highlighter(self) -> None:
        """Colour the document; re-formatting is not an edit, so ``text_edited`` stays quiet."""
        self._silent = True
        try:
            self._highlighter.setDocument(self.document())
        finally:
            self._silent = False

    # -- public API -------------------------------------------------------

    @property
    def highlighter(self) -> PythonHighlighter:
        """The syntax highlighter attached to this editor's document."""
        return self._highlighter

    def insertFromMimeData(self, source) -> None:  # noqa: N802 (Qt override)
        """Paste, unless the text would outgrow a function file: then refuse, and say so."""
        pasted = len(source.text()) if source.hasText() else 0
        selected = len(self.textCursor().selectedText())
        if self.document().characterCount() - selected + pasted > self.max_chars:
            self.paste_refused.emit(
                f"paste refused: {pasted / 1e6:.1f} million characters would make the file larger than a function file may be "
                f"({self.max_chars / 1e6:.0f} MB); the clipboard still holds it"
            )
            return
        super().insertFromMimeData(source)

    def set_text_silently(self, text: str) -> None:
        """Replace the whole text without emitting ``text_edited``; clears undo history.

        Parameters
        ----------
        text : str
            The new contents, for example a file just loaded from disk.
        """
        self._silent = True
        try:
            self.setPlainText(text)
        finally:
            self._silent = False
            self._known_text = self.toPlainText()
        self._update_line_number_area_width()
        self._update_extra_selections()

    def set_error_marks(self, marks: dict[int, str]) -> None:
        """Mark lines with errors, replacing any earlier marks.

        Parameters
        ----------
        marks : dict[int, str]
            1-based line number -> message shown when hovering the marker.
        """
        self._error_marks = {int(line): str(message) for line, message in marks.items()}
        self._update_extra_selections()
        self._line_number_area.update()

    def clear_error_marks(self) -> None:
        """Remove every error mark."""
        self.set_error_marks({})

    def error_marks(self) -> dict[int, str]:
        """A copy of the current error marks (1-based line -> message).

        Returns
        -------
        dict[int, str]
        """
        return dict(self._error_marks)

    def message_at_line(self, line: int) -> str | None:
        """The error message on a 1-based line, or None when it is not marked.

        Parameters
        ----------
        line : int
            1-based line number.

        Returns
        -------
        str or None
        """
        return self._error_marks.get(line)

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of a 1-based line, centre it and focus the editor.

        Parameters
        ----------
        line : int
            1-based line number; clamped to the document.
        """
        number = min(max(int(line), 1), self.blockCount()) - 1
        cursor = QTextCursor(self.document().findBlockByNumber(number))
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus()

    def line_number_area_width(self) -> int:
        """The width in pixels of the margin: a marker column plus the widest line number.

        Returns
        -------
        int
        """
        metrics = QFontMetricsF(self.font())
        digits = max(2, len(str(max(1, self.blockCount()))))
        return int(self._marker_column_width() + digits * metrics.horizontalAdvance("9") + 10)

    # -- key handling -----------------------------------------------------

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Python indentation for Tab, Shift+Tab, Enter and Backspace; everything else as usual."""
        if self.isReadOnly():
            super().keyPressEvent(event)
            return
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        plain = modifiers == Qt.KeyboardModifier.NoModifier
        shift = modifiers == Qt.KeyboardModifier.ShiftModifier
        if key == Qt.Key.Key_Tab and plain:
            self._indent()
        elif key == Qt.Key.Key_Backtab or (key == Qt.Key.Key_Tab and shift):
            self._dedent()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (plain or shift):
            self._new_line()
        elif key == Qt.Key.Key_Backspace and plain and self._backspace_indentation():
            pass
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _selected_blocks(self, cursor: QTextCursor) -> list:
        """The blocks a selection touches; a selection ending at column 0 leaves that line out."""
        document = self.document()
        first = document.findBlock(cursor.selectionStart())
        last = document.findBlock(cursor.selectionEnd())
        if last != first and cursor.selectionEnd() == last.position():
            last = last.previous()
        blocks = [first]
        while blocks[-1] != last:
            blocks.append(blocks[-1].next())
        return blocks

    def _select_whole_lines(self, blocks: list) -> None:
        cursor = self.textCursor()
        cursor.setPosition(blocks[0].position())
        cursor.setPosition(blocks[-1].position() + blocks[-1].length() - 1, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)

    def _indent(self) -> None:
        """Tab: spaces up to the next multiple of four, or indent every selected line by four."""
        cursor = self.textCursor()
        multi_line = cursor.hasSelection() and len(self._selected_blocks(cursor)) > 1
        cursor.beginEditBlock()
        if multi_line:
            blocks = self._selected_blocks(cursor)
            for block in blocks:
                if block.text():
                    edit = QTextCursor(block)
                    edit.insertText(" " * INDENT)
        else:
            cursor.removeSelectedText()
            column = len(self._text_before(cursor))
            cursor.insertText(" " * (INDENT - column % INDENT))
        cursor.endEditBlock()
        if multi_line:
            self._select_whole_lines(blocks)
        else:
            self.setTextCursor(cursor)

    def _dedent(self) -> None:
        """Shift+Tab: remove up to four leading spaces (or one tab) from each selected line."""
        cursor = self.textCursor()
        blocks = self._selected_blocks(cursor)
        multi_line = cursor.hasSelection() and len(blocks) > 1
        cursor.beginEditBlock()
        for block in blocks:
            text = block.text()
            if text.startswith("\t"):
                count = 1
            else:
                count = min(INDENT, len(text) - len(text.lstrip(" ")))
            if count:
                edit = QTextCursor(block)
                edit.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor, count)
                edit.removeSelectedText()
        cursor.endEditBlock()
        if multi_line:
            self._select_whole_lines(blocks)

    def _new_line(self) -> None:
        """Enter: keep the line's indentation, one level deeper after a line ending in ':'."""
        cursor = self.textCursor()
        cursor.beginEditBlock()
        cursor.removeSelectedText()
        before = self._text_before(cursor)
        indent = _leading_whitespace(before)
        if _code_before_comment(before).rstrip().endswith(":"):
            indent += " " * INDENT
        trailing = len(before) - len(before.rstrip(" \t"))
        if trailing:  # drop trailing whitespace left on the line being ended
            cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, trailing)
            cursor.removeSelectedText()
        cursor.insertBlock()
        cursor.insertText(indent)
        cursor.endEditBlock()
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def _backspace_indentation(self) -> bool:
        """Backspace inside leading spaces: delete back to the previous multiple of four.

        Returns
        -------
        bool
            False when the ordinary Backspace should run instead.
        """
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        before = self._text_before(cursor)
        if not before or before.strip(" "):
            return False
        count = len(before) % INDENT or INDENT
        cursor.beginEditBlock()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, count)
        cursor.removeSelectedText()
        cursor.endEditBlock()
        self.setTextCursor(cursor)
        return True

    @staticmethod
    def _text_before(cursor: QTextCursor) -> str:
        """The text between the start of the cursor's line and the cursor."""
        probe = QTextCursor(cursor)
        probe.clearSelection()
        probe.movePosition(QTextCursor.MoveOperation.StartOfBlock, QTextCursor.MoveMode.KeepAnchor)
        return probe.selectedText()

    # -- margin, selections and signals -----------------------------------

    def _marker_column_width(self) -> float:
        return QFontMetricsF(self.font()).height()

    def _apply_style_palette(self) -> None:
        """Match the editor's background and plain text colour to the Pygments style."""
        style = self._highlighter.style
        palette = self.palette()
        if style.background_color:
            palette.setColor(QPalette.ColorRole.Base, QColor(style.background_color))
        plain_color = style.style_for_token(Token.Text)["color"]
        palette.setColor(QPalette.ColorRole.Text, QColor("#" + plain_color) if plain_color else QColor("#000000"))
        self.setPalette(palette)

    def _update_tab_stop(self) -> None:
        self.setTabStopDistance(QFontMetricsF(self.font()).horizontalAdvance(" ") * INDENT)

    def _update_line_number_area_width(self) -> None:
        self.setViewportMargins(self.line_number_area_width(), 0, 0, 0)

    def _on_block_count_changed(self, _count: int) -> None:
        self._update_line_number_area_width()

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._line_number_area.scroll(0, dy)
        else:
            self._line_number_area.update(0, rect.y(), self._line_number_area.width(), rect.height())
        if rect.contains(self.viewport().rect()):
            self._update_line_number_area_width()

    def _on_cursor_position_changed(self) -> None:
        self._update_extra_selections()
        self._line_number_area.update()  # the current line's number is drawn darker

    def _on_text_changed(self) -> None:
        # Qt reports re-colouring as a change too (the highlighter's first pass runs a
        # turn of the event loop after it is attached): only a different text is an edit.
        if self._silent:
            return
        text = self.toPlainText()
        if text != self._known_text:
            self._known_text = text
            self.text_edited.emit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        rect = self.contentsRect()
        self._line_number_area.setGeometry(QRect(rect.left(), rect.top(), self.line_number_area_width(), rect.height()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._update_tab_stop()
            self._update_line_number_area_width()
            self._line_number_area.update()

    def _update_extra_selections(self) -> None:
        """The current-line highlight plus a tint on every marked line."""
        current = QTextEdit.ExtraSelection()
        current.format.setBackground(self._current_line_color)
        current.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        current.cursor = self.textCursor()
        current.cursor.clearSelection()
        selections = [current]
        document = self.document()
        for line in sorted(self._error_marks):
            block = document.findBlockByNumber(line - 1)
            if line < 1 or not block.isValid():
                continue
            marked = QTextEdit.ExtraSelection()
            marked.format.setBackground(ERROR_LINE_BACKGROUND)
            marked.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            marked.cursor = QTextCursor(block)
            selections.append(marked)
        self.setExtraSelections(selections)

    def _line_at_y(self, y: int) -> int | None:
        """The 1-based line drawn at viewport height ``y``, or None below the last line."""
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        while block.isValid():
            geometry = self.blockBoundingGeometry(block).translated(offset)
            if geometry.top() > y:
                return None
            if block.isVisible() and y < geometry.bottom():
                return block.blockNumber() + 1
            block = block.next()
        return None

    def _paint_line_number_area(self, event) -> None:
        """Paint line numbers, right-aligned, and a red dot beside every marked line."""
        area = self._line_number_area
        painter = QPainter(area)
        painter.fillRect(event.rect(), GUTTER_BACKGROUND)
        painter.setFont(self.font())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        line_height = QFontMetricsF(self.font()).height()
        marker_width = self._marker_column_width()
        number_right = area.width() - 5
        current_number = self.textCursor().blockNumber()

        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        top = self.blockBoundingGeometry(block).translated(offset).top()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + self.blockBoundingRect(block).height()
            if block.isVisible() and bottom >= event.rect().top():
                number = block.blockNumber()
                painter.setPen(GUTTER_CURRENT_NUMBER if number == current_number else GUTTER_NUMBER)
                text_rect = QRectF(marker_width, top, number_right - marker_width, line_height)
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(number + 1))
                if number + 1 in self._error_marks:
                    diameter = line_height * 0.6
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(ERROR_MARKER)
                    painter.drawEllipse(
                        QRectF((marker_width - diameter) / 2 + 1, top + (line_height - diameter) / 2, diameter, diameter)
                    )
                    painter.setBrush(Qt.BrushStyle.NoBrush)
            block = block.next()
            top = bottom
        painter.end()


__all__ = ["CodeEditor", "PythonHighlighter"]
