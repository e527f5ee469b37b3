"""Small widget constructors that set gradlab's usual properties in one call."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QScrollArea, QSpinBox, QWidget

from gradlab.gui.log_spin import NumberSpinBox


def named(widget: QWidget, name: str) -> QWidget:
    """Set ``widget``'s objectName and return it."""
    widget.setObjectName(name)
    return widget


def double_spin(name: str, value: float, low: float = -1e15, high: float = 1e15, step: float = 0.1) -> QDoubleSpinBox:
    """A spin box for any float (kept exact, ``1e-6`` typed as such) that reports a value only when editing is finished."""
    return named(NumberSpinBox(value, low, high, step), name)


def int_spin(name: str, value: int, low: int, high: int, step: int = 1) -> QSpinBox:
    """A QSpinBox that reports a value only when editing is finished."""
    spin = named(QSpinBox(), name)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setKeyboardTracking(False)
    return spin


def scrollable(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, so a dense panel does not set the window's minimum size."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area
