"""The problems line under the editor: the message, PyTorch's text, and a Details traceback."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from gradlab.gui.widgets import named
from gradlab.model.results import Problem


class ProblemsLine(QWidget):
    """Shows the current :class:`Problem`, or nothing.

    Signals
    -------
    location_clicked(int)
        The user clicked the message; the editor should go to that line.
    """

    location_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemsLine")
        self.label = named(QLabel(), "problemsText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setStyleSheet("color: #a00000")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = named(QPushButton("Details"), "problemsDetails")
        self.details_button.clicked.connect(self._on_details)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        self._problem: Problem | None = None
        self.hide()

    @property
    def problem(self) -> Problem | None:
        return self._problem

    def show_problem(self, problem: Problem | None) -> None:
        """Show ``problem`` (None clears the line)."""
        self._problem = problem
        if problem is None:
            self.label.clear()
            self.hide()
            return
        self.label.setText(str(problem))
        self.details_button.setVisible(bool(problem.traceback or problem.detail))
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._problem is not None and self._problem.location is not None:
            self.location_clicked.emit(self._problem.location.lineno)
        super().mousePressEvent(event)

    def _on_details(self) -> None:
        problem = self._problem
        if problem is None:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "gradlab", problem.message, QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(problem.hint)
        box.setDetailedText(problem.traceback or problem.detail)
        box.setObjectName("problemDetailsDialog")
        box.open()
