"""Number entry keeps what the user (or the file) said: no rounding to a few decimals, exponents welcome."""

from PySide6.QtCore import Qt

from gradlab.gui.arguments import ArgumentsPanel
from gradlab.gui.log_spin import NumberSpinBox
from gradlab.gui.plots import PlotPanel
from gradlab.model.results import FunctionInfo


def test_a_number_spin_box_keeps_tiny_and_huge_values_and_takes_exponents(qtbot):
    spin = NumberSpinBox(1.0, -1e15, 1e15)
    qtbot.addWidget(spin)
    spin.show()
    for value in (1e-6, 2.5e9, -3.25):
        spin.setValue(value)
        assert spin.value() == value and float(spin.text()) == value
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "1e-7")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 1e-7


def test_a_narrow_domain_near_zero_is_not_rounded_to_zero(qtbot):
    panel = PlotPanel()
    qtbot.addWidget(panel)
    panel.set_range(1e-4, 4e-4)
    assert panel.domain() == (1e-4, 4e-4)


def test_fixed_arguments_keep_the_files_values(qtbot):
    info = FunctionInfo("Scale", 1, "", ["x", "a"], False, (-1.0, 1.0), 0, [1.0, 1e-6], True, [], False)
    panel = ArgumentsPanel()
    qtbot.addWidget(panel)
    panel.set_function(info)
    assert panel.fixed()[1] == 1e-6


def test_a_log_spin_box_that_allows_zero_steps_to_and_from_it(qtbot):
    from gradlab.gui.log_spin import LogSpinBox

    spin = LogSpinBox(0.0, 0.0, 1.0)
    qtbot.addWidget(spin)
    spin.stepBy(1)
    assert spin.value() == 1e-12
    spin.stepBy(4)
    assert abs(spin.value() - 1e-11) < 1e-20
    spin.stepBy(-8)
    assert spin.value() == 0.0, "below the smallest step: zero again"
    eps = LogSpinBox(1e-6, 1e-9, 1e-1)
    qtbot.addWidget(eps)
    eps.stepBy(-100)
    assert eps.value() == 1e-9
