"""Which forward argument the plots sweep, and the values of the others."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QSlider, QWidget

from gradlab.gui.widgets import double_spin, named
from gradlab.model.results import FunctionInfo

_SLIDER_STEPS = 1000


class ArgumentsPanel(QWidget):
    """A sweep selector and a spin box + slider per fixed argument; hidden for one-argument Functions.

    Signals
    -------
    changed()
        The sweep argument or a fixed value changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("argumentsPanel")
        self.sweep_combo = named(QComboBox(), "sweepCombo")
        self.sweep_combo.currentIndexChanged.connect(self._on_sweep_changed)
        self._form = QFormLayout(self)
        self._form.setContentsMargins(4, 0, 4, 0)
        self._form.addRow("sweep", self.sweep_combo)
        self._spins: list[QDoubleSpinBox] = []
        self._sliders: list[QSlider] = []
        self._rows: list[QWidget] = []
        self._info: FunctionInfo | None = None
        self.hide()

    def set_function(self, info: FunctionInfo) -> None:
        """Rebuild for ``info``, keeping the user's choices when the arguments are unchanged."""
        if self._info is not None and self._info.name == info.name and self._info.arg_names == info.arg_names:
            self._info = info
            return
        self._info = info
        for row in self._rows:
            self._form.removeRow(row)
        self._rows, self._spins, self._sliders = [], [], []
        self.sweep_combo.blockSignals(True)
        self.sweep_combo.clear()
        self.sweep_combo.addItems(info.arg_names)
        self.sweep_combo.setCurrentIndex(info.sweep)
        self.sweep_combo.blockSignals(False)
        for index, name in enumerate(info.arg_names):
            spin = double_spin(f"fixed_{name}", info.fixed[index])
            slider = named(QSlider(Qt.Orientation.Horizontal), f"slider_{name}")
            slider.setRange(0, _SLIDER_STEPS)
            lo, hi = info.domain
            slider.setValue(self._slider_position(info.fixed[index], lo, hi))
            spin.valueChanged.connect(lambda value, i=index: self._on_spin_changed(i, value))
            slider.valueChanged.connect(lambda position, i=index: self._on_slider_moved(i, position))
            row = QWidget()
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(spin)
            box.addWidget(slider, 1)
            self._form.addRow(QLabel(name), row)
            self._rows.append(row)
            self._spins.append(spin)
            self._sliders.append(slider)
        self._update_enabled()
        self.setVisible(len(info.arg_names) > 1)

    def sweep(self) -> int:
        return max(self.sweep_combo.currentIndex(), 0)

    def fixed(self) -> tuple[float, ...]:
        return tuple(spin.value() for spin in self._spins)

    def spin_for(self, name: str) -> QDoubleSpinBox:
        """The spin box of argument ``name``."""
        return self._spins[self._info.arg_names.index(name)]

    # -- handlers ----------------------------------------------------------
    def _slider_position(self, value: float, lo: float, hi: float) -> int:
        return int(round((min(max(value, lo), hi) - lo) / (hi - lo) * _SLIDER_STEPS))

    def _on_slider_moved(self, index: int, position: int) -> None:
        lo, hi = self._info.domain
        spin = self._spins[index]
        value = lo + (hi - lo) * position / _SLIDER_STEPS
        if abs(spin.value() - value) > 10 ** -spin.decimals():
            spin.setValue(value)

    def _on_spin_changed(self, index: int, value: float) -> None:
        lo, hi = self._info.domain
        slider = self._sliders[index]
        slider.blockSignals(True)
        slider.setValue(self._slider_position(value, lo, hi))
        slider.blockSignals(False)
        self.changed.emit()

    def _on_sweep_changed(self) -> None:
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self) -> None:
        for index, (spin, slider) in enumerate(zip(self._spins, self._sliders)):
            swept = index == self.sweep()
            spin.setEnabled(not swept)
            slider.setEnabled(not swept)
