"""A spin box for quantities that live on a log scale (eps, tolerances)."""

from __future__ import annotations

import math

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox


class NumberSpinBox(QDoubleSpinBox):
    """A spin box that keeps the value exactly and shows it in general format (``1e-06``, ``2.5``, ``3e+07``).

    QDoubleSpinBox rounds values to its ``decimals`` and its text cannot hold
    exponents; this one takes ``1e-6`` as typed and does not round it.
    """

    #: Significant digits shown.
    DIGITS = 6

    def __init__(self, value: float, low: float, high: float, step: float = 0.1, parent=None) -> None:
        super().__init__(parent)
        self.setDecimals(320)  # Qt rounds values to this many decimals: keep them exact
        self.setRange(low, high)
        self.setSingleStep(step)
        self.setValue(value)
        self.setKeyboardTracking(False)

    def sizeHint(self):  # noqa: N802 - Qt override
        # QDoubleSpinBox sizes itself for every decimal it may show; this one shows DIGITS significant digits.
        hint = super().sizeHint()
        hint.setWidth(self.fontMetrics().horizontalAdvance("-8." + "8" * (self.DIGITS - 1) + "e-888") + 36)
        return hint

    def minimumSizeHint(self):  # noqa: N802 - Qt override
        return self.sizeHint()

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:.{self.DIGITS}g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, position: int):
        try:
            value = float(text)
        except ValueError:
            partial = text.strip().lower()
            ok = partial == "" or partial[-1] in "e.-+" or partial.rstrip("0123456789.e-+") == ""
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid), text, position
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate), text, position


class LogSpinBox(NumberSpinBox):
    """Shows values like ``1e-06``; each arrow step multiplies or divides by 10^(1/``steps_per_decade``).

    When 0 is allowed (``low == 0``), stepping up from 0 goes to ``zero_step``
    and stepping down below it comes back to 0.
    """

    DIGITS = 3

    def __init__(self, value: float, low: float, high: float, steps_per_decade: int = 4, zero_step: float = 1e-12, parent=None) -> None:
        super().__init__(value, low, high, parent=parent)
        self._steps_per_decade = steps_per_decade
        self._zero_step = zero_step

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        value = self.value()
        if self.minimum() <= 0 and value <= 0:
            if steps > 0:
                self.setValue(min(self._zero_step, self.maximum()))
            return
        exponent = math.log10(max(value, 1e-300)) + steps / self._steps_per_decade
        stepped = 10**exponent
        if self.minimum() <= 0 and stepped < self._zero_step * (1 - 1e-9):
            stepped = 0.0  # below the smallest step: back to zero
        self.setValue(min(max(stepped, self.minimum()), self.maximum()))
