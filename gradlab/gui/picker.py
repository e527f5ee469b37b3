"""The function picker: built-in examples, open files, recent files, and the Functions of the current file.

Each row is a file name alone, short enough to read whole in the picker's
default width; a file's description (its docstring's first line) and path are
in the row's tooltip and status tip, and the current file's Functions are its
child rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from gradlab.model.builtins import builtin_function_files, describe_file
from gradlab.model.results import FunctionInfo

_PATH = Qt.ItemDataRole.UserRole
_FUNCTION = Qt.ItemDataRole.UserRole + 1
#: Pixels each level of the tree is indented by (Qt's default is 20).
INDENTATION = 14


class FunctionPicker(QTreeWidget):
    """A tree of files and Functions.  Listing files never runs them (their docstrings are parsed).

    Signals
    -------
    file_chosen(str)
        The user picked a file.
    function_chosen(str)
        The user picked a Function of the current file.
    """

    file_chosen = Signal(str)
    function_chosen = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("functionPicker")
        self.setHeaderHidden(True)
        self.setColumnCount(1)
        self.setIndentation(INDENTATION)  # three levels deep, a narrower step leaves the names their width
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a name too long even so keeps its ".py"
        self.examples = QTreeWidgetItem(self, ["Examples"])
        self.open_files = QTreeWidgetItem(self, ["Open files"])
        self.recent = QTreeWidgetItem(self, ["Recent files"])
        for group in (self.examples, self.open_files, self.recent):
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
        for path in builtin_function_files():
            self._add_file(self.examples, str(path), describe_file(path))
        self.expandAll()
        self.itemActivated.connect(self._on_item_activated)
        self.itemClicked.connect(self._on_item_activated)

    def _add_file(self, group: QTreeWidgetItem, path: str, description: str) -> QTreeWidgetItem:
        """A row for ``path``: its name; the description on hover (tooltip and status bar), never in the row to be cut."""
        item = QTreeWidgetItem(group, [os.path.basename(path)])
        item.setData(0, _PATH, path)
        item.setToolTip(0, f"{description}\n{path}" if description else path)
        item.setStatusTip(0, f"{os.path.basename(path)} \u2014 {description}" if description else path)
        return item

    def _file_item(self, group: QTreeWidgetItem, path: str) -> QTreeWidgetItem | None:
        for i in range(group.childCount()):
            if group.child(i).data(0, _PATH) == path:
                return group.child(i)
        return None

    def add_open_file(self, path: str) -> None:
        """List ``path`` under "Open files" (once); built-in examples stay under "Examples"."""
        if self._file_item(self.examples, path) is None and self._file_item(self.open_files, path) is None:
            self._add_file(self.open_files, path, describe_file(path) if os.path.exists(path) else "")
            self.open_files.setExpanded(True)

    def set_recent(self, paths: list[str]) -> None:
        """Replace the "Recent files" list."""
        self.recent.takeChildren()
        for path in paths:
            self._add_file(self.recent, path, "")
        self.recent.setExpanded(True)

    def recent_paths(self) -> list[str]:
        return [self.recent.child(i).data(0, _PATH) for i in range(self.recent.childCount())]

    def example_paths(self) -> list[str]:
        return [self.examples.child(i).data(0, _PATH) for i in range(self.examples.childCount())]

    def set_current(self, path: str, functions: Sequence[str | FunctionInfo], current: str | None) -> None:
        """Mark ``path`` as current and list its Functions under it when it has several.

        ``functions`` are names, or :class:`FunctionInfo` s, whose custom ops
        (``torch.library.custom_op``) are then marked as such.
        """
        for group in (self.examples, self.open_files, self.recent):
            for i in range(group.childCount()):
                item = group.child(i)
                item.takeChildren()
                font = item.font(0)
                font.setBold(item.data(0, _PATH) == path)
                item.setFont(0, font)
        item = self._file_item(self.examples, path) or self._file_item(self.open_files, path)
        if item is None or len(functions) < 2:
            return
        for function in functions:
            name = function if isinstance(function, str) else function.name
            custom_op = getattr(function, "kind", "") == "custom_op"
            description = getattr(function, "description", "")
            child = QTreeWidgetItem(item, [f"{name} (custom op)" if custom_op else name])
            child.setData(0, _FUNCTION, name)
            tip = f"{name}: an operator made with torch.library.custom_op" if custom_op else name
            child.setToolTip(0, f"{tip}\n{description}" if description else tip)
            child.setStatusTip(0, f"{name} \u2014 {description}" if description else tip)
            if name == current:
                font = child.font(0)
                font.setBold(True)
                child.setFont(0, font)
        item.setExpanded(True)

    def _on_item_activated(self, item: QTreeWidgetItem) -> None:
        function = item.data(0, _FUNCTION)
        if function:
            self.function_chosen.emit(function)
            return
        path = item.data(0, _PATH)
        if path:
            self.file_chosen.emit(path)
