"""A status bar whose messages never run into its permanent widgets.

``QStatusBar`` paints a temporary message under nothing but its own clip: a
long warning reaches the "engine: ready" label with no gap, and a multi-line
one is drawn on one row.  :class:`StatusBar` shows messages in an eliding label
that takes only the room left of the permanent widgets, keeps the whole text
in its tooltip, and keeps ``showMessage``/``currentMessage``/``clearMessage``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget


class ElidedLabel(QLabel):
    """A one-line label that shows the first line of its text, elided at the right to fit its width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the bar

    def set_full_text(self, text: str) -> None:
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def _shown_text(self) -> str:
        lines = self._full.strip().splitlines()
        more = " \u2026" if len(lines) > 1 else ""
        return (lines[0] + more) if lines else ""

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._shown_text(), Qt.TextElideMode.ElideRight, max(self.width(), 0))
        self.setText(shown)
        self.setToolTip(self._full if shown != self._full else "")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()


class StatusBar(QStatusBar):
    """A ``QStatusBar`` whose temporary messages are elided before the permanent widgets, whole in the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_label = ElidedLabel(self)
        self.message_label.setObjectName("statusMessage")
        self.message_label.setContentsMargins(4, 0, 8, 0)
        self.addWidget(self.message_label, 1)
        self._clear_timer = QTimer(self)
        self._clear_timer.setSingleShot(True)
        self._clear_timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 - Qt's name
        """Show ``text`` (its first line, elided to fit) for ``timeout`` ms, or until replaced when 0."""
        self._clear_timer.stop()
        self.message_label.set_full_text(text)
        if timeout > 0 and text:
            self._clear_timer.start(timeout)
        self.messageChanged.emit(text)

    def currentMessage(self) -> str:  # noqa: N802 - Qt's name
        """The whole text of the message shown, not its elided form."""
        return self.message_label.full_text()

    def clearMessage(self) -> None:  # noqa: N802 - Qt's name
        self._clear_timer.stop()
        if self.message_label.full_text():
            self.message_label.set_full_text("")
            self.messageChanged.emit("")


def permanent_label(text: str, name: str) -> QLabel:
    """A label for the right of the status bar, set apart from messages by a rule and padding."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setStyleSheet(f"QLabel#{name} {{ border-left: 1px solid #c0c0c0; padding-left: 8px; padding-right: 4px; }}")
    return label
