"""Small widget constructors that set gradlab's usual properties in one call."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget


def named(widget: QWidget, name: str) -> QWidget:
    """Set ``widget``'s objectName and return it."""
    widget.setObjectName(name)
    return widget


def double_spin(name: str, value: float, low: float = -1e6, high: float = 1e6, decimals: int = 4, step: float = 0.1) -> QDoubleSpinBox:
    """A QDoubleSpinBox that reports a value only when editing is finished."""
    spin = named(QDoubleSpinBox(), name)
    spin.setDecimals(decimals)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setKeyboardTracking(False)
    return spin


def int_spin(name: str, value: int, low: int, high: int, step: int = 1) -> QSpinBox:
    """A QSpinBox that reports a value only when editing is finished."""
    spin = named(QSpinBox(), name)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setKeyboardTracking(False)
    return spin
