"""The Benchmark tab and the picker read whole: controls in view, a legend off the curves, words, no cut names.  No engine."""

import os

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QLineEdit, QSpinBox, QStyle

from gradlab.gui.benchmark_panel import BenchmarkPanel
from gradlab.gui.log_axis import TimeLogAxis
from gradlab.gui.picker import FunctionPicker
from gradlab.gui.widgets import scrollable
from gradlab.model.bench_table import counted, spread_text
from gradlab.model.builtins import builtin_function_files
from gradlab.model.results import BenchmarkReport, BenchmarkRow, FunctionInfo

SIGMOID = FunctionInfo("Sigmoid", 24, "", ["x"], False, (-6.0, 6.0), 0, [], True, ["torch.sigmoid"], False)
OTHERS = [f"Version{i}.apply (another_long_file_name_{i}.py)" for i in range(6)]
#: The Benchmark tab's width in a 1280- and a 1920-pixel-wide window (the picker and editor beside it).
TAB_WIDTHS = (520, 900)
#: The picker's width in the window's default layout (MainWindow's splitter).
PICKER_WIDTH = 260


def settle(widget) -> None:
    for _ in range(3):
        QApplication.processEvents()


def report(noisy: bool = False, runs: int = 10) -> BenchmarkReport:
    rows = [
        BenchmarkRow(name, n, "both", "cpu", "float32", median * n * 1e-8, median * n * 1e-8 * (0.36 if noisy else 0.01), runs, noisy=noisy, rounds=12)
        for n in (100, 1000, 10000)
        for name, median in (("custom Function", 137.6), ("autograd of forward", 100.0), ("torch.sigmoid", 30.0))
    ]
    return BenchmarkReport("Sigmoid", rows, [], {"threads": 1, "device": "cpu", "torch": "2.13.0"})


def inside(widget, viewport) -> bool:
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    return viewport.rect().contains(QRect(top_left, widget.size()))


@pytest.mark.parametrize("width", TAB_WIDTHS)
@pytest.mark.parametrize("others", [6, 30])
def test_run_and_every_input_stay_in_view_however_many_other_functions_are_offered(qtbot, width, others):
    panel = BenchmarkPanel()
    panel.set_function(SIGMOID, [f"Version{i}.apply (another_long_file_name_{i}.py)" for i in range(others)])
    area = scrollable(panel)  # as the window's Benchmark tab holds it
    qtbot.addWidget(area)
    area.resize(width, 700)
    area.show()
    settle(area)
    assert area.horizontalScrollBar().maximum() == 0, "nothing needs a sideways scroll"
    assert inside(panel.run_button, area.viewport()), "Run is in view without scrolling"
    inputs = [w for kind in (QAbstractButton, QComboBox, QLineEdit, QSpinBox) for w in panel.findChildren(kind)]
    for widget in inputs:
        if widget.isVisibleTo(panel) and not panel.others_list.isAncestorOf(widget):  # those scroll in their own list
            left = widget.mapTo(area.viewport(), QPoint(0, 0)).x()
            assert 0 <= left and left + widget.width() <= area.viewport().width(), widget.objectName() or widget.text()
    listed = panel.others_list
    for box in (panel.implementation_boxes[name] for name in panel.implementation_boxes if name.startswith("Version")):
        assert box.mapTo(listed.viewport(), QPoint(0, 0)).x() + box.width() <= listed.viewport().width(), box.text()
    assert listed.height() <= 4 * panel.run_button.height() + 20, "a long list scrolls in its own few rows"


def shown_panel(qtbot, width: int = 800) -> BenchmarkPanel:
    panel = BenchmarkPanel()
    qtbot.addWidget(panel)
    panel.set_function(SIGMOID)
    panel.resize(width, 760)
    panel.show()
    settle(panel)
    return panel


def test_the_legend_sits_above_the_plots_never_on_the_curves(qtbot):
    panel = shown_panel(qtbot)
    panel.show_report(report())
    settle(panel)
    legends = [item for item in panel.plots_widget.scene().items() if isinstance(item, pg.LegendItem)]
    labels = [label.text for legend in legends for _, label in legend.items]
    assert labels == ["custom Function", "autograd of forward", "torch.sigmoid"]
    for legend in legends:
        for plot in (panel.time_plot, panel.speedup_plot):
            assert not legend.sceneBoundingRect().intersects(plot.vb.sceneBoundingRect())
    assert panel.time_plot.getAxis("left").logTickStrings([-4.0], 1.0, None) == ["100 \u00b5s"], "times in µs, not 0.0001"
    assert isinstance(panel.time_plot.getAxis("left"), TimeLogAxis)


def test_before_a_run_and_after_clear_the_plots_say_what_to_do(qtbot):
    panel = shown_panel(qtbot)
    message = panel.findChild(QLabel, "benchmarkPlaceholder")
    assert message.isVisible() and not panel.plots_widget.isVisible()
    assert message.text().startswith("Press Run benchmark to time custom Function, autograd of forward and torch.sigmoid at 3 sizes")
    panel.sizes.setText("100")
    assert "at 1 size: 100." in message.text()
    panel.show_report(report())
    assert panel.plots_widget.isVisible() and not message.isVisible()
    panel.clear("sigmoid.py: not benchmarked yet")
    assert message.isVisible() and not panel.plots_widget.isVisible() and "Press Run" in message.text()


def test_an_unsettled_cell_carries_a_marker_and_its_spread_on_hover_in_microseconds(qtbot):
    panel = shown_panel(qtbot)
    panel.show_report(report(noisy=True))
    cell = panel.table.item(0, 0)
    assert cell.text() == "137.6 \u00b5s \u00b136%", "the unit is µs, the spread a short mark"
    assert "noisy" not in cell.text() and " us" not in cell.text()
    assert "unsettled: its spread, IQR 49.54 \u00b5s (\u00b136% of the median), stayed above 5 %" in cell.toolTip()
    assert "median 137.6 \u00b5s per call over 12 interleaved rounds (10 runs)" in cell.toolTip()
    caption = panel.findChild(QLabel, "benchmarkTableCaption")
    assert caption.isVisible() and "\u00b1N% marks an unsettled time" in caption.text()
    panel.show_report(report(noisy=False, runs=1))
    assert panel.table.item(0, 0).text() == "137.6 \u00b5s"
    assert "(1 run)" in panel.table.item(0, 0).toolTip() and "\u00b1N%" not in caption.text()


def test_counts_read_in_the_right_number(qtbot):
    assert [counted(1, "thread"), counted(4, "thread"), counted(1, "op")] == ["1 thread", "4 threads", "1 op"]
    row = BenchmarkRow("custom Function", 100, "both", "cpu", "float32", 2e-6, 1e-8, 1, rounds=1)
    assert spread_text(row, "\u00b5s", 1e-6).startswith("median 2 \u00b5s per call over 1 interleaved round (1 run)")
    panel = BenchmarkPanel()
    qtbot.addWidget(panel)
    panel.set_function(FunctionInfo("Square", 3, "", ["x"], False, (-1.0, 1.0), 0, [], True, [], False))
    panel.implementation_boxes["autograd of forward"].setChecked(False)
    panel.sizes.setText("100")
    assert panel.progress.text() == "0 / 1 cell"


def elided(tree, item) -> bool:
    """Whether Qt's item delegate would cut ``item``'s text in its row (it keeps a margin either side)."""
    margin = tree.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, tree) + 1
    return QFontMetrics(item.font(0)).horizontalAdvance(item.text(0)) + 2 * margin > tree.visualItemRect(item).width()


def test_picker_rows_read_whole_at_the_default_width(qtbot, tmp_path):
    picker = FunctionPicker()
    qtbot.addWidget(picker)
    picker.resize(PICKER_WIDTH, 600)
    picker.show()
    examples = [str(p) for p in builtin_function_files()]
    current = next(p for p in examples if os.path.basename(p) == "cube_once_differentiable.py")
    functions = [
        FunctionInfo("CubeOnceDifferentiable", 1, "x³, backward once", ["x"], False, (-1.0, 1.0), 0, [], True, [], False),
        FunctionInfo("numpy_cube", 9, "x³ in NumPy", ["x"], False, (-1.0, 1.0), 0, [], True, [], False, kind="custom_op"),
    ]
    picker.set_current(current, functions, "numpy_cube")
    settle(picker)
    rows = [picker.examples.child(i) for i in range(picker.examples.childCount())]
    rows += [rows[examples.index(current)].child(i) for i in range(2)]
    for row in rows:
        assert not elided(picker, row), row.text(0)
    assert [r.text(0) for r in rows[-2:]] == ["CubeOnceDifferentiable", "numpy_cube (custom op)"]
    assert "x³ in NumPy" in rows[-1].toolTip(0), "a Function's description on hover"
    for row in rows[:-2]:
        path = row.data(0, Qt.ItemDataRole.UserRole)
        assert row.text(0) == os.path.basename(path), "the file name alone; its description on hover"
        assert path in row.toolTip(0)
    sigmoid = rows[[os.path.basename(p) for p in examples].index("sigmoid.py")]
    assert "Sigmoid 1 / (1 + exp(-x))" in sigmoid.toolTip(0) and "Sigmoid" in sigmoid.statusTip(0)


LONG_NAME = ("AVeryLongFunctionNameThatGoesOnAndOnForeverAndEver" * 2)[:90]


def test_a_90_character_name_never_makes_the_tab_scroll_sideways(qtbot):
    assert len(LONG_NAME) == 90
    own = FunctionInfo(LONG_NAME, 5, "", ["x"], False, (-1.0, 1.0), 0, [], True, [f"{LONG_NAME}_compare"], False)
    panel = BenchmarkPanel()
    panel.set_function(own, [f"{LONG_NAME}.apply (a_file_whose_name_is_long_enough_to_test_the_layouts_too.py)", *OTHERS[:2]])
    panel.clear(f"{LONG_NAME}: not benchmarked yet")  # as the tab says it for a newly loaded Function
    area = scrollable(panel)
    qtbot.addWidget(area)
    area.resize(TAB_WIDTHS[0], 700)
    area.show()
    settle(area)
    assert area.horizontalScrollBar().maximum() == 0, "no sideways scroll for a long name"
    assert inside(panel.run_button, area.viewport()) and inside(panel.progress, area.viewport())
    for name, box in panel.implementation_boxes.items():
        listed = box.parentWidget()
        assert box.mapTo(listed, QPoint(0, 0)).x() + box.width() <= listed.width(), name
        assert box.text() == name
        if LONG_NAME in name:
            assert box.shown_text != name and "\u2026" in box.shown_text, "cut short in view"
            assert name in box.toolTip(), "the whole name on hover"
    assert panel.status.text() == f"{LONG_NAME}: not benchmarked yet"


def test_the_speedup_plot_says_why_it_is_empty_when_the_baseline_was_not_timed(qtbot):
    panel = shown_panel(qtbot)
    rows = [
        BenchmarkRow("custom Function", n, "both", "cpu", "float32", 1e-6 * n, 1e-8, 10, rounds=12) for n in (100, 1000)
    ] + [
        BenchmarkRow("autograd of forward", n, "both", "cpu", "float32", None, None, 0, error="gradient 0 differs from the custom Function's")
        for n in (100, 1000)
    ]
    panel.show_report(BenchmarkReport("WrongConstantCube", rows, [], {"threads": 1, "device": "cpu"}))
    settle(panel)
    assert panel.curve_data("custom Function") is not None and panel.curve_data("custom Function", "speedup") is None
    message = panel.speedup_message
    assert message.isVisible()
    assert message.toPlainText() == (
        "no speed-up: the baseline autograd of forward was not timed: gradient 0 differs from the custom Function's;"
        " choose another baseline above"
    )
    assert panel.speedup_plot.vb.rect().contains(message.mapRectToParent(message.boundingRect())), "inside the plot"
    panel.baseline.setCurrentText("custom Function")
    assert not message.isVisible() and panel.curve_data("custom Function", "speedup") is not None


def test_a_time_axis_within_one_decade_shows_at_least_two_labels(qtbot):
    axis = TimeLogAxis("left")
    axis.setLogMode(False, True)
    low, high = np.log10(50e-6), np.log10(150e-6)
    axis.setRange(low, high)
    texts = [text for spacing, values in axis.tickValues(low, high, 200) for text in axis.tickStrings(values, 1.0, spacing) if text]
    assert len(set(texts)) >= 2 and "100 \u00b5s" in texts, texts
    low, high = np.log10(110e-6), np.log10(190e-6)  # not one 1, 2 … 9 × 10ⁿ tick within: finer ones, labelled
    axis.setRange(low, high)
    texts = [text for spacing, values in axis.tickValues(low, high, 200) for text in axis.tickStrings(values, 1.0, spacing) if text]
    assert texts == ["120 \u00b5s", "140 \u00b5s", "160 \u00b5s", "180 \u00b5s"]
