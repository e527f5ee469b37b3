"""The gradcheck panel in the real window: verdicts, heatmaps, eps sweep, lint, progress and cancel."""

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QWidget

from gradlab.model.requests import CheckRequest, EpsSweepRequest
from tests.gui.conftest import PLOT_MS
from tests.helpers import builtin, data


def is_request(kind):
    """A session's finished job answering a request of ``kind``."""
    return lambda job: isinstance(job.request, kind)


def open_and_show_panel(window, qtbot, path):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(path)
    window.tabs.setCurrentWidget(window.gradcheck_tab)
    return window.gradcheck


def run_checks(window, qtbot, timeout=PLOT_MS):
    panel = window.gradcheck
    with qtbot.waitSignal(window.session.job_finished, timeout=timeout, check_params_cb=is_request(CheckRequest)):
        qtbot.mouseClick(window.findChild(QWidget, "runGradcheck"), Qt.MouseButton.LeftButton)
    return panel


def test_the_panel_has_its_named_widgets(window):
    for name in ("gradcheckPanel", "epsSpin", "runGradcheck", "gradcheckResult"):
        assert window.findChild(QWidget, name) is not None, name


def test_sigmoid_passes_at_the_tutorials_eps(window, qtbot):
    panel = open_and_show_panel(window, qtbot, builtin("sigmoid.py"))
    eps = window.findChild(QWidget, "epsSpin")
    eps.lineEdit().selectAll()
    qtbot.keyClicks(eps.lineEdit(), "1e-3")
    qtbot.keyClick(eps.lineEdit(), Qt.Key.Key_Return)
    assert eps.value() == 1e-3
    run_checks(window, qtbot)
    assert panel.verdicts() == {"gradcheck": "pass", "gradgradcheck": "pass"}
    assert panel.checks.eps == 1e-3
    assert "double backward: yes" in panel.capabilities.text()
    assert panel.progress.value() == panel.progress.maximum()


def test_a_wrong_sign_backward_fails_and_the_heatmap_shows_the_mismatch(window, qtbot):
    panel = open_and_show_panel(window, qtbot, data("wrong_sign.py"))
    run_checks(window, qtbot)
    assert panel.verdicts()["gradcheck"] == "FAIL"
    assert "Jacobian mismatch" in panel.row_text("gradcheck")
    difference = panel.images["difference"].image
    assert difference.shape == (12, 12)
    # d(x^2)/dx = 2x on the diagonal; the backward says -2x: the difference is -4x there, zero elsewhere
    numerical = panel.images["numerical"].image
    np.testing.assert_allclose(np.diag(difference), -2 * np.diag(numerical), atol=1e-6)
    assert np.allclose(difference - np.diag(np.diag(difference)), 0)
    row, column = panel.worst_cell()
    assert row == column and abs(difference[row, column]) == np.abs(difference).max()
    assert panel.cell_info.text().startswith("largest mismatch: d out[")


def test_clicking_a_heatmap_cell_shows_both_values_and_the_input_index(window, qtbot):
    panel = open_and_show_panel(window, qtbot, data("wrong_sign.py"))
    run_checks(window, qtbot)
    image = panel.images["analytical"]
    view = panel.heatmaps
    box = image.getViewBox()
    qtbot.waitUntil(lambda: box.sceneBoundingRect().contains(image.mapToScene(QPointF(5.5, 5.5))), timeout=3000)  # auto-ranged
    point = view.mapFromScene(image.mapToScene(QPointF(5.5, 5.5)))  # column 5, row 5
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    text = panel.cell_info.text()
    assert text.startswith("d out[1, 1] / d x[1, 1]")
    assert "numerical" in text and "analytical" in text


def test_once_differentiable_shows_double_backward_not_supported_with_the_reason(window, qtbot):
    panel = open_and_show_panel(window, qtbot, builtin("cube_once_differentiable.py"))
    run_checks(window, qtbot)
    assert panel.verdicts() == {"gradcheck": "pass", "gradgradcheck": "not supported"}
    assert "once_differentiable" in panel.row_text("gradgradcheck")
    assert "double backward: not supported" in panel.capabilities.text()


def test_the_eps_sweep_finds_the_bottom_of_the_v_and_one_click_uses_it(window, qtbot):
    panel = open_and_show_panel(window, qtbot, builtin("sigmoid.py"))
    panel.views.setCurrentIndex(1)
    with qtbot.waitSignal(window.session.job_finished, timeout=PLOT_MS, check_params_cb=is_request(EpsSweepRequest)):
        qtbot.mouseClick(window.findChild(QWidget, "runEpsSweep"), Qt.MouseButton.LeftButton)
    sweep = panel.sweep
    assert set(sweep.errors) == {"float64", "float32"}
    assert 1e-7 <= sweep.best["float64"] <= 1e-4
    assert sweep.best["float32"] > sweep.best["float64"]
    errors = sweep.errors["float64"]
    best = int(np.argmin(errors))
    assert errors[0] > 10 * errors[best] and errors[-1] > 10 * errors[best], "a V: round-off left, truncation right"
    assert "float64: best eps" in panel.sweep_info.text()
    qtbot.mouseClick(window.findChild(QWidget, "useBestEps"), Qt.MouseButton.LeftButton)
    assert window.findChild(QWidget, "epsSpin").value() == pytest.approx(sweep.best["float64"], rel=1e-9)


def test_lint_lists_legacy_patterns_and_goes_to_their_line(window, qtbot):
    panel = open_and_show_panel(window, qtbot, builtin("multiply_add.py"))
    texts = [panel.lint.item(i).text() for i in range(panel.lint.count())]
    assert any("saved_variables" in t for t in texts) and any("Variable" in t for t in texts)
    item = next(panel.lint.item(i) for i in range(panel.lint.count()) if "saved_variables" in panel.lint.item(i).text())
    rect = panel.lint.visualItemRect(item)
    qtbot.mouseClick(panel.lint.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    line = item.data(Qt.ItemDataRole.UserRole)
    assert window.editor.textCursor().blockNumber() + 1 == line
    assert "saved_variables" in window.editor.textCursor().block().text()


def test_ten_thousand_elements_fast_mode_finishes_and_slow_mode_shows_progress_and_cancels(window, qtbot):
    panel = open_and_show_panel(window, qtbot, builtin("sigmoid.py"))
    panel.shape.setText("100, 100")
    panel.check_boxes["gradgradcheck"].setChecked(False)
    panel.fast_mode.setChecked(True)
    started = time.monotonic()
    run_checks(window, qtbot)
    fast_seconds = time.monotonic() - started
    assert panel.verdicts()["gradcheck"] == "pass"
    assert fast_seconds < 10, f"fast mode took {fast_seconds:.1f} s"  # the 2 s figure is measured by benchmarks/gradcheck_speed.py
    panel.fast_mode.setChecked(False)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress.maximum() > 1 and panel.progress.value() > 0, timeout=PLOT_MS)
    assert panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()
    started = time.monotonic()
    with qtbot.waitSignal(window.run_failed, timeout=5000) as failed:
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert time.monotonic() - started < 1.0
    assert failed.args[0].kind == "cancelled"
    assert panel.run_button.isEnabled() and "cancelled" in panel.status.text()


def test_float32_shows_pytorchs_own_warning(window, qtbot):
    panel = open_and_show_panel(window, qtbot, builtin("sigmoid.py"))
    panel.dtype.setCurrentText("float32")
    panel.eps.setValue(1e-3)
    panel.atol.setValue(1e-3)
    run_checks(window, qtbot)
    assert panel.checks.dtype == "float32"
    assert "double precision" in panel.status.text()


def test_a_sweep_without_a_finite_error_offers_no_best_eps_and_right_clicks_leave_eps_alone(qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    from gradlab.gui.gradcheck_panel import GradcheckPanel
    from gradlab.model.results import EpsSweep

    panel = GradcheckPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 900)
    panel.show()
    panel.views.setCurrentIndex(1)
    eps = np.logspace(-9, -1, 9)
    panel.show_sweep(EpsSweep("Huge", eps, {"float64": np.full(9, np.nan)}, {"float64": float("nan")}, {"float64": 6e-6}))
    assert not panel.best_button.isEnabled() and panel.best_eps() is None
    before = panel.eps.value()
    view = panel.sweep_plot.viewport()
    QTest.mouseClick(view, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(view.width() // 2, view.height() // 2))
    qtbot.wait(100)
    for widget in panel.sweep_plot.scene().views()[0].findChildren(QWidget):
        if widget.isVisible() and widget.inherits("QMenu"):
            widget.close()
    assert panel.eps.value() == before, "the right button opens the menu, it does not set eps"


def test_switching_function_forgets_the_last_ones_verdicts(window, qtbot):
    panel = open_and_show_panel(window, qtbot, builtin("sigmoid.py"))
    run_checks(window, qtbot)
    assert panel.result.rowCount() == 2
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(data("two_functions.py"))
    assert panel.result.rowCount() == 0 and panel.checks is None
    run_checks(window, qtbot)
    assert "First" in panel.status.text()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.select_function("Second")
    assert panel.result.rowCount() == 0 and "Second: not checked yet" in panel.status.text()


def test_the_taylor_test_is_plotted_log_log_and_tells_a_wrong_backward(window, qtbot):
    panel = open_and_show_panel(window, qtbot, data("wrong_sign.py"))
    run_checks(window, qtbot)
    hs, remainders = panel.taylor_data()
    assert len(hs) >= 5 and (remainders > 0).all()
    slope = np.polyfit(np.log(hs[-4:]), np.log(remainders[-4:]), 1)[0]
    assert abs(slope - 1.0) < 0.2, "a wrong gradient's remainder falls like h"
    assert "FAIL" in panel.taylor_info.text() and "Taylor test" in panel.capabilities.text()


def test_the_transforms_tab_shows_a_wrong_jvp_that_gradcheck_passes(window, qtbot):
    panel = open_and_show_panel(window, qtbot, data("transforms_wrong_jvp.py"))
    assert set(panel.transform_verdicts().values()) == {""}  # nothing before a run
    panel.check_boxes["transforms"].setChecked(True)
    panel.check_boxes["gradgradcheck"].setChecked(False)
    run_checks(window, qtbot, timeout=60_000)
    verdicts = panel.transform_verdicts()
    assert verdicts["jvp"] == "fail" and verdicts["jacfwd"] == "fail" and verdicts["vmap"] == "pass"
    assert panel.verdicts()["gradcheck"] == "pass"
    row = list(verdicts).index("jvp")
    assert "the hand-written jvp is wrong" in panel.transforms_table.item(row, 1).text()
    panel.clear_results()
    assert set(panel.transform_verdicts().values()) == {""}
