"""The Gradcheck tab reads without hovering: whole messages, the hint on screen, equal heatmaps with titled axes and colour scales, and a word of what to do before any data."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QStyle

from gradlab.gui.gradcheck_panel import GradcheckPanel
from gradlab.model.results import CheckResult, FunctionChecks, Jacobians, WorstEntry

HINT = "the hand-written derivative disagrees with finite differences at x[1]: compare f' with autograd of forward in the plots"
NO_JVP_HINT = "add @staticmethod jvp(ctx, *grad_inputs) to support forward-mode AD"


def failing_checks() -> FunctionChecks:
    """A wrong-constant backward: gradcheck fails at x[1], gradgradcheck passes, forward AD is not supported."""
    numerical = np.diag([3.0, 12.0, 27.0])
    analytical = 0.9 * numerical
    worst = WorstEntry("x[2]", "out[2]", 3.0, 24.3, 27.0, 27.0, 0.1)
    gradcheck = CheckResult(
        "gradcheck", False, "Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor([[3., 0., 0.], ...])",
        max_abs_error=2.7, max_rel_error=0.1, worst_element="x[2] (out[2])", hint=HINT, worst=worst,
    )
    second = CheckResult("gradgradcheck", True, "gradgradcheck passed", 1e-10, 1e-11, "grad_output[0] (out[0])")
    no_jvp = CheckResult("forward AD", None, "not supported: the Function defines no jvp staticmethod", hint=NO_JVP_HINT)
    jacobians = Jacobians(numerical, analytical, ["x[0]", "x[1]", "x[2]"], ["out[0]", "out[1]", "out[2]"], 1e-6)
    return FunctionChecks("WrongConstant", gradcheck, second, extra=[no_jvp], jacobians=jacobians)


@pytest.fixture
def panel(qtbot):
    panel = GradcheckPanel()
    qtbot.addWidget(panel)
    panel.resize(560, 760)  # about the tab's width in a 1280 × 800 window
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def visible_texts(widget) -> str:
    """The text of every label a person sees in ``widget``, a line each."""
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())


def test_before_data_each_view_says_what_to_do_instead_of_bare_axes(panel, qtbot):
    for index, (wanted, plot) in enumerate((
        ("Run gradcheck to see the Jacobians", panel.heatmaps),
        ("Sweep eps", panel.sweep_plot),
        ("Run gradcheck to see the Taylor test", panel.taylor_plot),
    )):
        panel.views.setCurrentIndex(index)
        assert wanted in visible_texts(panel.views.currentWidget()) and not plot.isVisible(), wanted
    panel.views.setCurrentIndex(0)
    panel.show_checks(failing_checks())
    assert panel.heatmaps.isVisible() and "Run gradcheck" not in visible_texts(panel.views.currentWidget())
    panel.clear_results()
    assert "Run gradcheck to see the Jacobians" in visible_texts(panel.views.currentWidget()) and not panel.heatmaps.isVisible()


def test_a_failing_checks_hint_is_on_screen_in_full_not_only_in_a_tooltip(panel, qtbot):
    panel.show_checks(failing_checks())
    details = panel.details
    qtbot.waitUntil(lambda: details.isVisible() and details.height() >= details.heightForWidth(details.width()), timeout=2000)
    assert HINT in details.text() and "Jacobian mismatch for output 0 with respect to input 0" in details.text()
    rect = panel.result.visualItemRect(panel.result.item(2, 0))  # another row: its own message and hint
    qtbot.mouseClick(panel.result.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert NO_JVP_HINT in details.text() and "defines no jvp" in details.text()


def test_no_shown_cell_of_the_result_tables_is_cut(panel, qtbot):
    panel.show_checks(failing_checks())
    panel.show_transforms(None)
    for table in (panel.result, panel.transforms_table):
        assert table.textElideMode() == Qt.TextElideMode.ElideNone and table.wordWrap()
        margin = 2 * (table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1)  # the delegate's
        for row in range(table.rowCount()):
            for column in range(table.columnCount()):
                item = table.item(row, column)
                if item is None or table.isColumnHidden(column):
                    continue
                width = table.columnWidth(column) - margin
                needed = QFontMetrics(item.font()).boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, item.text())
                assert needed.width() <= width and needed.height() <= table.rowHeight(row), (table.objectName(), item.text())


def test_the_three_heatmaps_are_equally_wide_with_axis_titles_and_colour_scales(panel, qtbot):
    panel.show_checks(failing_checks())
    heatmaps = panel.heatmaps

    def widths():
        return [image.getViewBox().sceneBoundingRect().width() for image in panel.images.values()]

    qtbot.waitUntil(lambda: min(widths()) > 20, timeout=2000)
    assert max(widths()) - min(widths()) < 1, widths()
    for plot in heatmaps.plots.values():
        assert plot.getAxis("bottom").labelText == "output element"  # a Jacobian's columns are output elements
        assert plot.getAxis("left").labelText == "input element"
    bars = [item for item in heatmaps.scene().items() if isinstance(item, pg.ColorBarItem) and item.isVisible()]
    assert len(bars) == 2
    assert heatmaps.difference_bar.levels() == pytest.approx((-2.7, 2.7))
    assert heatmaps.shared_bar.levels() == pytest.approx((0.0, 27.0))
    analytical, difference = (heatmaps.plots[key].getViewBox().sceneBoundingRect() for key in ("analytical", "difference"))
    shared, own = (bar.sceneBoundingRect() for bar in (heatmaps.shared_bar, heatmaps.difference_bar))
    assert analytical.right() <= shared.left() < difference.left() <= difference.right() <= own.left(), "each scale beside its maps"
    assert own.right() <= heatmaps.viewport().width() + 1, "nothing is cut off at the right"


def passing_checks() -> FunctionChecks:
    """A right backward: analytical and numerical differ by round-off alone (about 1e-10), far within gradcheck's tolerance."""
    numerical = np.diag([3.0, 12.0, 27.0])
    analytical = numerical + np.array([[8e-11, 0, 0], [0, -3e-11, 0], [0, 0, 5e-11]])
    gradcheck = CheckResult("gradcheck", True, "gradcheck passed", 8e-11, 3e-12, "x[0] (out[0])")
    second = CheckResult("gradgradcheck", True, "gradgradcheck passed", 1e-10, 1e-11, "grad_output[0] (out[0])")
    jacobians = Jacobians(numerical, analytical, ["x[0]", "x[1]", "x[2]"], ["out[0]", "out[1]", "out[2]"], 1e-6)
    return FunctionChecks("Cube", gradcheck, second, jacobians=jacobians)


def test_round_off_within_gradchecks_tolerance_is_not_magnified_into_a_pattern_of_errors(panel, qtbot):
    panel.show_checks(passing_checks())  # the controls' defaults: atol 1e-5, rtol 1e-3
    heatmaps = panel.heatmaps
    low, high = heatmaps.difference_bar.levels()
    assert high == -low and high >= 1e-5 + 1e-3 * 27.0, "the scale spans at least what gradcheck tolerates"
    assert not heatmaps.worst_box.isVisible() and panel.worst_cell() is None
    text = panel.cell_info.text()
    assert text.startswith("largest difference 8e-11 at d out[0] / d x[0]: within gradcheck's tolerance")
    assert "atol 1e-05 + rtol 0.001" in text and "mismatch" not in text


def test_a_real_mismatch_keeps_its_own_scale_and_its_box(panel, qtbot):
    panel.show_checks(failing_checks())
    heatmaps = panel.heatmaps
    assert heatmaps.difference_bar.levels() == pytest.approx((-2.7, 2.7))  # the real largest |difference|, not the tolerance
    assert heatmaps.worst_box.isVisible() and panel.worst_cell() == (2, 2)
    assert heatmaps.worst_box.rect().center() == QPointF(2, 2)
    assert panel.cell_info.text().startswith("largest mismatch: d out[2] / d x[2]")
