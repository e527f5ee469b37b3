"""The tutorial's two ways of calling a Function, shown side by side."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from gradlab.gui.widgets import named
from gradlab.model.results import CallStyles, FunctionInfo


def _format(value: np.ndarray | None) -> str:
    if value is None:
        return "None"
    flat = np.asarray(value).reshape(-1)
    text = ", ".join(f"{v:.6g}" for v in flat[:6]) + (", \u2026" if flat.size > 6 else "")
    return f"[{text}]"


class CallsPanel(QWidget):
    """``apply`` + ``backward()`` next to ``grad_fn.apply(ones)``, with captured prints and warnings.

    Signals
    -------
    requires_grad_changed()
        The user toggled which inputs require grad.
    """

    requires_grad_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callsPanel")
        self._flags_row = QHBoxLayout()
        self._flags_row.addWidget(QLabel("requires_grad:"))
        self._flags_row.addStretch(1)
        self._boxes: list[QCheckBox] = []
        self.view = named(QTextBrowser(), "callsView")
        layout = QVBoxLayout(self)
        layout.addLayout(self._flags_row)
        layout.addWidget(self.view, 1)
        self._names: list[str] = []

    def set_function(self, info: FunctionInfo) -> None:
        """Show one requires_grad box per argument (all checked for a new Function)."""
        if info.arg_names == self._names:
            return
        for box in self._boxes:
            box.deleteLater()
        self._names = list(info.arg_names)
        self._boxes = []
        for name in info.arg_names:
            box = named(QCheckBox(name), f"requiresGrad_{name}")
            box.setChecked(True)
            box.toggled.connect(self.requires_grad_changed)
            self._flags_row.insertWidget(self._flags_row.count() - 1, box)
            self._boxes.append(box)

    def requires_grad(self) -> tuple[bool, ...]:
        return tuple(box.isChecked() for box in self._boxes)

    def show_calls(self, calls: CallStyles) -> None:
        """Render both calling styles as a table, then the printed output and warnings."""
        rows = "".join(
            f"<tr><td><b>{html.escape(name)}</b></td><td>{_format(value)}</td><td>{flag}</td>"
            f"<td>{_format(grad)}</td><td>{_format(raw)}</td></tr>"
            for name, value, flag, grad, raw in zip(calls.arg_names, calls.inputs, calls.requires_grad, calls.grads, calls.raw_backward)
        )
        printed = html.escape(calls.captured.stdout) or "(nothing)"
        warnings = "".join(f"<li>{html.escape(w)}</li>" for w in calls.captured.warnings) or "<li>(none)</li>"
        self.view.setHtml(
            f"<h3>{html.escape(calls.function)}: two ways to call it</h3>"
            "<p>(a) <code>out = F.apply(*inputs); out.backward(ones)</code> &mdash; each input's <code>.grad</code><br>"
            "(b) <code>out.grad_fn.apply(ones)</code> &mdash; the raw tuple backward returns</p>"
            "<table border='1' cellspacing='0' cellpadding='4'>"
            "<tr><th>argument</th><th>value</th><th>requires_grad</th><th>(a) .grad</th><th>(b) backward returned</th></tr>"
            f"{rows}</table>"
            f"<p>output: {_format(calls.output)}</p>"
            f"<h4>printed</h4><pre>{printed}</pre><h4>warnings</h4><ul>{warnings}</ul>"
        )

    def text(self) -> str:
        """What the panel shows, as plain text."""
        return self.view.toPlainText()
