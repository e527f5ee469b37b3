"""The real window, driven with pytest-qt: examples, edits, errors, hangs, arguments, calls."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget

from tests.gui.conftest import PLOT_MS
from tests.helpers import builtin


def curve(window, plot_name, label="hand-written backward"):
    data = window.plot_panel.curve_data(plot_name, label)
    assert data is not None, f"{plot_name} shows no {label!r} curve"
    return data


def select_text(editor, text):
    """Select the first occurrence of ``text`` in the editor, as a person would with the mouse."""
    cursor = editor.document().find(text)
    assert not cursor.isNull(), f"{text!r} not in the editor"
    editor.setTextCursor(cursor)
    editor.setFocus()


def test_the_window_opens_on_sigmoid_with_all_three_plots(window):
    assert window.path == builtin("sigmoid.py")
    for name in ("functionPicker", "editor", "plotF", "plotDF", "plotD2F"):
        assert window.findChild(QWidget, name) is not None, name
    x, f = curve(window, "plotF")
    assert len(x) == 1001 and x[0] == -6.0 and x[-1] == 6.0
    assert np.all(np.isfinite(f))
    np.testing.assert_allclose(curve(window, "plotDF")[1], f * (1 - f), atol=1e-12)
    assert np.all(np.isfinite(curve(window, "plotD2F")[1]))
    assert "Sigmoid" in window.editor.toPlainText()
    assert window.engine_state.text() == "engine: ready"
    assert "sigmoid.py" in window.windowTitle()


def test_every_builtin_example_draws_finite_curves(window, qtbot):
    examples = window.picker.example_paths()
    assert len(examples) >= 10
    for path in examples:
        with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
            window.open_file(path)
        for plot_name in ("plotF", "plotDF", "plotD2F"):
            shown = [
                window.plot_panel.curve_data(plot_name, label)
                for label in ("hand-written backward", "autograd of forward")
            ]
            shown = [d for d in shown if d is not None]
            assert shown, f"{path}: {plot_name} is empty"
            assert all(np.isfinite(y).any() for _, y in shown), f"{path}: {plot_name}"
        if "once_differentiable" in path:
            assert "once_differentiable" in window.plot_panel.unsupported_message("plotD2F")


def test_typing_a_wrong_backward_changes_f1_and_shows_a_residual(window, qtbot):
    _, before = curve(window, "plotDF")
    assert window.plot_panel.worst_residual_text().startswith("largest |f\u2032 \u2212 autograd of forward| = ")
    select_text(window.editor, "(1 - output)")
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        qtbot.keyClicks(window.editor, "(1 + output)")
    _, after = curve(window, "plotDF")
    assert not np.allclose(before, after)
    x, _ = curve(window, "plotF")
    _, f = curve(window, "plotF")
    np.testing.assert_allclose(after, f * (1 + f), atol=1e-12)
    residual = window.last_curves.residuals[0]
    assert residual.max_abs > 1.0
    assert f"= {residual.max_abs:.3g}" in window.plot_panel.worst_residual_text()
    assert window.isWindowModified()


def test_a_syntax_error_marks_its_line_and_the_old_plots_stay(window, qtbot):
    _, before = curve(window, "plotF")
    select_text(window.editor, "output = 1 / (1 + torch.exp(-x))")
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.EndOfLine)
    window.editor.setTextCursor(cursor)
    line = cursor.blockNumber() + 1
    with qtbot.waitSignal(window.run_failed, timeout=PLOT_MS) as failed:
        qtbot.keyClicks(window.editor, ")")
    problem = failed.args[0]
    assert problem.kind == "syntax" and problem.location.lineno == line
    assert line in window.editor.error_marks()
    assert f"sigmoid.py:{line}" in window.problems.text()
    _, still = curve(window, "plotF")
    np.testing.assert_array_equal(before, still)
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Backspace)
    assert window.editor.error_marks() == {}
    assert window.problems.text() == ""


HANGING = textwrap.dedent(
    '''
    """Hangs until fixed."""
    from torch.autograd import Function


    class Slow(Function):
        @staticmethod
        def forward(ctx, x):
            while True:
                pass

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output
    '''
).lstrip()


@pytest.mark.slow
def test_a_hanging_function_is_stopped_and_the_next_edit_plots_again(make_window, qtbot, tmp_path):
    window = make_window(request_timeout=3.0)
    path = tmp_path / "slow.py"
    path.write_text(HANGING, encoding="utf-8")
    with qtbot.waitSignal(window.run_failed, timeout=PLOT_MS) as failed:
        window.open_file(str(path))
    problem = failed.args[0]
    assert problem.kind == "timeout"
    assert problem.location.lineno in (8, 9), "the loop's while or its body"
    assert problem.location.lineno in window.editor.error_marks()
    assert "did not finish within 3 s" in window.problems.text()
    assert "timed out" in window.statusBar().currentMessage() or "did not finish" in window.statusBar().currentMessage()
    assert window.editor.toPlainText() == HANGING, "the user's text is untouched"
    select_text(window.editor, "while True:")
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Down, QTextCursor.MoveMode.KeepAnchor)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfLine, QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        qtbot.keyClicks(window.editor, "return x * 2")
    np.testing.assert_allclose(curve(window, "plotF")[1], 2 * curve(window, "plotF")[0])


def test_stop_cancels_a_running_request_within_a_second(make_window, qtbot, tmp_path):
    window = make_window(request_timeout=60.0)
    path = tmp_path / "slow.py"
    path.write_text(HANGING, encoding="utf-8")
    window.open_file(str(path))
    qtbot.waitUntil(lambda: window.engine_state.text() == "engine: busy\u2026", timeout=PLOT_MS)
    qtbot.wait(300)
    with qtbot.waitSignal(window.run_failed, timeout=1500) as failed:
        window.stop_action.trigger()
    assert failed.args[0].kind == "cancelled"
    assert "stopped" in window.statusBar().currentMessage() or "cancelled" in window.problems.text()


def test_multiply_add_sweep_argument_switches_and_a_fixed_argument_moves(window, qtbot):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(builtin("multiply_add.py"))
    assert window.arguments.isVisible()
    combo = window.findChild(QWidget, "sweepCombo")
    assert combo.currentText() == "x"
    x, f = curve(window, "plotF")
    np.testing.assert_allclose(f, 0.5 * x + 0.25)  # w = 0.5, b = 0.25 from EXPLORE
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        combo.setCurrentIndex(0)  # sweep w
    np.testing.assert_allclose(curve(window, "plotDF")[1], 1.0)  # df/dw = x = 1
    spin = window.findChild(QWidget, "fixed_x")
    assert not window.findChild(QWidget, "fixed_w").isEnabled()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        spin.setValue(2.5)
    w, f = curve(window, "plotF")
    np.testing.assert_allclose(curve(window, "plotDF")[1], 2.5)
    np.testing.assert_allclose(f, w * 2.5 + 0.25)
    assert "type in forward" in window.last_curves.captured.stdout


def test_the_calls_tab_shows_both_calling_styles(window, qtbot):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(builtin("multiply_add.py"))
    assert window.curves_view.last_calls is None, "calls run only when their tab is shown"
    with qtbot.waitSignal(window.session.job_finished, timeout=PLOT_MS, check_params_cb=lambda job: job.channel == "calls"):
        window.tabs.setCurrentWidget(window.calls)
    box = window.findChild(QWidget, "requiresGrad_x")
    with qtbot.waitSignal(window.session.job_finished, timeout=PLOT_MS, check_params_cb=lambda job: job.channel == "calls"):
        box.setChecked(False)
    calls = window.curves_view.last_calls
    assert calls.grads[1] is None and calls.raw_backward[1] is not None
    text = window.calls.text()
    assert "None" in text and "backward returned" in text
    assert "type in backward" in text and "saved_variables" in text


def test_save_as_writes_the_file_and_the_title_loses_its_mark(window, qtbot, tmp_path):
    select_text(window.editor, "(1 - output)")
    qtbot.keyClicks(window.editor, "(1 - output) ")
    assert window.isWindowModified()
    target = tmp_path / "mine.py"
    assert window.files.save_as(str(target))
    assert target.read_text(encoding="utf-8") == window.editor.toPlainText()
    assert not window.isWindowModified()
    assert window.path == str(target)
    assert str(target) in window.picker.recent_paths()


def test_export_plots_and_csv(window, tmp_path):
    assert window.files.export_plots(str(tmp_path / "plots")) == str(tmp_path / "plots.png"), "no extension: PNG"
    window.files.export_csv(str(tmp_path / "curves.csv"))
    assert (tmp_path / "plots.png").read_bytes()[:4] == b"\x89PNG"
    header = (tmp_path / "curves.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("x,f,df,d2f,")
    assert window.files.export_csv(str(tmp_path / "no" / "such" / "c.csv")) is None and "could not export" in window.statusBar().currentMessage()


@pytest.mark.slow
def test_svg_export_draws_what_the_png_shows(window, tmp_path):
    """pyqtgraph's own SVG exporter fails with this PySide6; gradlab's draws through QSvgGenerator."""
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    def blue_box(image):
        blue = [(x, y) for x in range(0, 300, 2) for y in range(0, 300, 2) if image.pixelColor(x, y).blue() > 150 and image.pixelColor(x, y).red() < 100]
        assert len(blue) > 50, "the hand-written curves are drawn"
        return min(x for x, _ in blue), max(x for x, _ in blue), min(y for _, y in blue), max(y for _, y in blue)

    def render(path):
        renderer = QSvgRenderer(path)
        assert renderer.isValid()
        image = QImage(300, 300, QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        return image

    png = QImage(window.files.export_plots(str(tmp_path / "plots.png"))).scaled(300, 300)
    svg = render(window.files.export_plots(str(tmp_path / "plots.svg")))
    assert all(abs(a - b) <= 12 for a, b in zip(blue_box(svg), blue_box(png))), (blue_box(svg), blue_box(png))
    for suffix in ("svg", "png"):  # the command line's Qt has another resolution: the bug showed there
        out = tmp_path / f"cli.{suffix}"
        subprocess.run([sys.executable, "-m", "gradlab", "plot", builtin("sigmoid.py"), "--out", str(out)], check=True, timeout=120)
    cli_png = QImage(str(tmp_path / "cli.png")).scaled(300, 300)
    cli_svg = render(str(tmp_path / "cli.svg"))
    assert all(abs(a - b) <= 12 for a, b in zip(blue_box(cli_svg), blue_box(cli_png))), (blue_box(cli_svg), blue_box(cli_png))
    exporter_names = [e.Name for e in __import__("pyqtgraph").exporters.Exporter.Exporters]
    assert exporter_names.count("Scalable Vector Graphics (SVG)") == 1


def test_the_last_file_and_layout_are_restored(make_window, qtbot):
    first = make_window(request_timeout=5.0)
    with qtbot.waitSignal(first.curves_shown, timeout=PLOT_MS):
        first.open_file(builtin("square.py"))
    first.resize(780, 700)  # fits the offscreen screen, so the geometry comes back unclamped
    qtbot.waitUntil(lambda: first.width() == 780)
    total = sum(first.splitter.sizes())
    first.splitter.setSizes([120, total // 3, total - 120 - total // 3])
    sizes = first.splitter.sizes()
    first.close()
    second = make_window(request_timeout=5.0)
    assert second.path == builtin("square.py")
    assert second.size() == first.size()
    # the warm shared engine can answer before the deferred tabs' minimum widths are laid out
    qtbot.waitUntil(lambda: second.splitter.sizes() == sizes, timeout=3000)


def test_the_window_is_up_before_the_engine_has_imported_torch(qtbot):
    from gradlab.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.isVisible()
    assert window.engine_state.text().startswith("engine: starting")
    with qtbot.waitSignal(window.curves_shown, timeout=90_000):
        pass


@pytest.mark.timeout(180)
def test_the_gui_process_never_imports_torch():
    script = textwrap.dedent(
        """
        import sys, time
        from gradlab.gui.qt_setup import ensure_application
        app = ensure_application(headless=True)
        from gradlab.gui import MainWindow  # the name DESIGN.md gives
        window = MainWindow()
        shown = []
        window.curves_shown.connect(shown.append)
        window.show()
        deadline = time.monotonic() + 120
        while not shown and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        window.close()
        print("plotted" if shown else "no plot", "torch" in sys.modules, "numpy" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=170)
    assert out.stdout.split() == ["plotted", "False", "True"], out.stdout + out.stderr


def test_the_crosshair_reads_out_values_and_draws_the_tangent(window, qtbot):
    plot = window.findChild(QWidget, "plotF")
    centre = plot.viewport().rect().center()
    qtbot.mouseMove(plot.viewport(), centre)
    qtbot.waitUntil(lambda: "f\u2032 = " in window.plot_panel.readout.text(), timeout=5000)
    text = window.plot_panel.readout.text()
    assert text.startswith("x = ") and "f = " in text and "f\u2033 = " in text
    xs, ys = window.plot_panel.tangent_data()
    assert len(xs) == 2 and np.all(np.isfinite(ys))


def test_nan_points_show_as_gaps_with_a_note(window, qtbot):
    from tests.helpers import data

    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(data("produces_nan.py"))
    notes = window.findChild(QWidget, "plotNotes")
    assert notes.isVisible() and "not finite" in notes.text()
    _, f = curve(window, "plotF")
    assert np.isnan(f).any() and np.isfinite(f).any()


def test_problem_details_show_the_traceback(window, qtbot):
    from tests.helpers import data

    with qtbot.waitSignal(window.run_failed, timeout=PLOT_MS):
        window.open_file(data("raises_in_forward.py"))
    assert "raises_in_forward.py:9" in window.problems.text()
    assert "forward is not written yet" in window.problems.text()
    window.problems.details_button.click()
    dialog = window.findChild(QWidget, "problemDetailsDialog")
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=5000)
    assert "Traceback" in dialog.detailedText()
    dialog.close()


def test_a_failing_update_rolls_the_plots_back_instead_of_leaving_them_half_updated(window, qtbot):
    import dataclasses

    good = window.last_curves
    x_before, f_before = curve(window, "plotF")
    bad_reference = dataclasses.replace(good.references[1], df=good.references[1].df[:10])  # a malformed curve
    bad = dataclasses.replace(good, hand_written=dataclasses.replace(good.hand_written, f=good.hand_written.f * 2), references=[good.references[0], bad_reference, *good.references[2:]])
    with qtbot.capture_exceptions() as exceptions:  # the slot re-raises to sys.excepthook: the error dialog
        window.curves_view._curves_job.result.emit(bad)  # the last curves job delivers malformed curves
        qtbot.wait(50)
    assert [type(e[1]) for e in exceptions] == [ValueError]
    np.testing.assert_array_equal(curve(window, "plotF")[1], f_before)
    assert window.last_curves is good
    assert "could not show the curves" in window.problems.text()


def test_new_from_template_plots_a_working_function(window, qtbot):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_N, modifier=Qt.KeyboardModifier.ControlModifier)
    assert window.last_curves.function == "MyFunction"
    assert not window.isWindowModified(), "a template nobody typed in has nothing to save"
    assert "untitled-" in window.windowTitle()
    x, df = curve(window, "plotDF")
    np.testing.assert_allclose(df, np.cos(x), atol=1e-12)
