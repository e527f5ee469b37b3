"""The window at laptop and desktop sizes: no button or input clipped, squeezed or outside its viewport, on any tab.

The window is rendered offscreen at 1280×800 and 1920×1080 after a failing
Function was checked (so the gradcheck details are on screen) and with other
files' Functions, one with a very long name, offered to the benchmark.  Every tab, and every tab inside
a tab, is shown in turn, and every visible button, spin box, combo box, line
edit and check box is measured against each of its ancestors' rectangles (a
scroll area's viewport among them) and against the size it needs for its text.
"""

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QTabBar, QTabWidget, QWidget

from tests.gui.conftest import PLOT_MS
from tests.gui.test_gradcheck_panel import run_checks
from tests.helpers import builtin, data

SIZES = ((1280, 800), (1920, 1080))
CONTROLS = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit)


def _rect_in(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def layout_faults(window: QWidget) -> list[str]:
    """Every visible control that is clipped by an ancestor, lies outside the window, or is narrower than it needs."""
    faults = []
    for control in window.findChildren(QWidget):
        if not isinstance(control, CONTROLS) or not control.isVisibleTo(window) or not control.isVisible():
            continue
        if isinstance(control.parentWidget(), (QTabBar, QAbstractSpinBox, QComboBox)):
            continue  # parts of another control (a tab bar's arrows, a spin box's text): measured through it
        name = control.objectName() or f"{type(control).__name__} {getattr(control, 'text', lambda: '')()!r}"
        rect = _rect_in(control, window)
        parent = control.parentWidget()
        while parent is not None and parent is not window:
            clip = _rect_in(parent, window)
            if not clip.contains(rect):
                faults.append(f"{name} at {rect.getRect()} is cut by {parent.objectName() or type(parent).__name__} {clip.getRect()}")
                break
            parent = parent.parentWidget()
        if not window.rect().contains(rect):
            faults.append(f"{name} at {rect.getRect()} lies outside the window {window.rect().getRect()}")
        needed = control.minimumSizeHint()
        if control.width() < needed.width() or control.height() < needed.height():
            faults.append(f"{name} is {control.width()}×{control.height()}, needs {needed.width()}×{needed.height()}")
    for bar in window.findChildren(QTabBar):
        if bar.isVisible() and any(not bar.tabRect(i).isEmpty() and not bar.rect().contains(bar.tabRect(i)) for i in range(bar.count())):
            faults.append(f"a tab of {bar.parentWidget().objectName() or 'a tab widget'} is cut off")
    return faults


def each_tab(window: QWidget, qapp):
    """Show every tab of the right-hand tabs, and every tab inside it; yield the tab path shown."""
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qapp.processEvents()
        inner = [t for t in window.tabs.currentWidget().findChildren(QTabWidget) if t.isVisible()]
        if not inner:
            yield window.tabs.tabText(index)
        for tabs in inner:
            for sub in range(tabs.count()):
                tabs.setCurrentIndex(sub)
                qapp.processEvents()
                yield f"{window.tabs.tabText(index)} › {tabs.tabText(sub)}"


@pytest.fixture
def checked_window(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(data("wrong_constant.py"))
    window.tabs.setCurrentWidget(window.gradcheck_tab)
    run_checks(window, qtbot)
    assert "FAIL" in window.gradcheck.verdicts().values()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(data("a_function_file_whose_name_is_long_enough_to_test_layouts.py"))  # a long name, offered below
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(builtin("cube_once_differentiable.py"))  # the longest example name; wrong_constant is offered to the benchmark
    return window


def test_no_control_is_clipped_on_any_tab_at_laptop_and_desktop_sizes(checked_window, qapp):
    window = checked_window
    faults = []
    for width, height in SIZES:
        window.resize(width, height)
        qapp.processEvents()
        assert (window.width(), window.height()) == (width, height)
        for tab in each_tab(window, qapp):
            faults += [f"{width}×{height} {tab}: {fault}" for fault in layout_faults(window)]
    assert not faults, "\n".join(faults)
    # a long, many-line status message stops short of "engine: ready", on one line, whole in its tooltip
    message = "UserWarning: " + "the input is float32, so gradcheck's finite differences lose digits " * 6 + "\nsecond line"
    window.statusBar().showMessage(message, 0)
    qapp.processEvents()
    shown = window.statusBar().message_label
    assert shown.isVisible() and shown.geometry().right() < window.engine_state.geometry().left()
    assert shown.text().endswith("\u2026") and "\n" not in shown.text() and shown.toolTip() == message
    assert window.statusBar().currentMessage() == message
    # the check itself can fail: a button pushed past its parent's edge is reported
    window.resize(1280, 800)
    window.tabs.setCurrentWidget(window.benchmark_tab)
    qapp.processEvents()
    button = window.findChild(QWidget, "runBenchmark")
    button.move(button.parentWidget().width() - 5, button.y())
    assert [f for f in layout_faults(window) if "runBenchmark" in f and "cut by" in f]
