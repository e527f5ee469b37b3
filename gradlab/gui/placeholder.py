"""A view that says what to do until it has something to show, instead of bare axes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from gradlab.gui.widgets import named


class Placeholder(QStackedWidget):
    """``content`` behind a centred message until :meth:`show_content` is called.

    Parameters
    ----------
    content : QWidget
        The plot (or other view) to show once it has data.
    text : str
        What to do to fill it, e.g. "Run gradcheck to see the Jacobians".
    name : str
        objectName of the message label.
    label : QLabel, optional
        The label to show the message in (e.g. one that wraps long names); a word-wrapping QLabel by default.
    """

    def __init__(self, content: QWidget, text: str, name: str, label: QLabel | None = None) -> None:
        super().__init__()
        self.text = text
        self.message = named(label if label is not None else QLabel(), name)
        self.message.setText(text)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(12)
        font = self.message.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.message.setFont(font)
        self.content = content
        self.addWidget(self.message)
        self.addWidget(content)

    def show_message(self, text: str | None = None) -> None:
        """Hide the content behind ``text`` (the constructor's text when None)."""
        self.message.setText(self.text if text is None else text)
        self.setCurrentWidget(self.message)

    def show_content(self) -> None:
        """Show the content: it has data now."""
        self.setCurrentWidget(self.content)

    def has_content(self) -> bool:
        """Whether the content, not the message, is shown."""
        return self.currentWidget() is self.content
