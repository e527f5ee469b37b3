"""A bar above the editor when the open file changed or vanished on disk."""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from gradlab.gui.widgets import named


class DiskChangedBar(QWidget):
    """Offers Reload / Keep mine when the file changed on disk; says the buffer is kept when it was deleted."""

    reload_requested = Signal()
    keep_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diskChangedBar")
        self.setStyleSheet("#diskChangedBar { background: #fff4c2; }")
        self.setAutoFillBackground(True)
        self.label = named(QLabel(), "diskChangedText")
        self.label.setWordWrap(True)
        self.reload_button = named(QPushButton("Reload from disk"), "reloadFromDisk")
        self.keep_button = named(QPushButton("Keep mine"), "keepMine")
        self.reload_button.clicked.connect(self.reload_requested)
        self.keep_button.clicked.connect(self.keep_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.reload_button)
        layout.addWidget(self.keep_button)
        self.hide()

    def show_changed(self, path: str) -> None:
        self.label.setText(f"{os.path.basename(path)} changed on disk. Reload it (your edits here are lost) or keep yours?")
        self.reload_button.show()
        self.keep_button.setText("Keep mine")
        self.show()

    def show_deleted(self, path: str) -> None:
        self.label.setText(f"{os.path.basename(path)} was deleted on disk. Your text is kept here; Save writes it again.")
        self.reload_button.hide()
        self.keep_button.setText("OK")
        self.show()
