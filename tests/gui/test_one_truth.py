"""Issue 10's reproductions: results belong to the file that made them, and no click is lost.

Each test drives the real window, with real engines, as a new user would.
"""

import multiprocessing
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from gradlab.gui.autosave import AutosaveStore
from gradlab.gui.bench_view import BENCH_ENGINE_DELAY_MS
from tests.gui.conftest import PLOT_MS
from tests.gui.test_nothing_lost import type_at_end, user_file
from tests.helpers import builtin, data

BENCH_MS = 180_000


def _engine_pids() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.name == "gradlab-engine"}


def test_a_gradcheck_clicked_before_the_file_has_loaded_waits_for_it_and_runs(window, qtbot):
    panel = window.gradcheck
    window.open_file(builtin("tanh.py"))
    assert window.runner.loading, "the click below lands before the engine has answered the load"
    qtbot.mouseClick(window.findChild(QWidget, "runGradcheck"), Qt.MouseButton.LeftButton)
    assert "waiting for tanh.py to load" in panel.status.text()
    qtbot.waitUntil(lambda: panel.checks is not None, timeout=PLOT_MS)
    assert panel.checks.function == "Tanh" and panel.verdicts()["gradcheck"] == "pass"
    assert "for tanh.py \u00b7 Tanh \u00b7 revision" in panel.status.text()


def test_a_benchmark_clicked_before_the_file_has_loaded_waits_for_it_and_runs(window, qtbot):
    panel = window.benchmark
    window.tabs.setCurrentWidget(window.benchmark_tab)
    window.open_file(builtin("square.py"))
    panel.sizes.setText("100")
    qtbot.mouseClick(window.findChild(QWidget, "runBenchmark"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.report is not None, timeout=BENCH_MS)
    assert {row.implementation for row in panel.rows} >= {"custom Function", "autograd of forward"}
    assert "for square.py \u00b7 Square" in panel.status.text()


def test_a_check_clicked_on_a_file_that_fails_to_load_says_why(window, qtbot):
    panel = window.gradcheck
    with qtbot.waitSignal(window.run_failed, timeout=PLOT_MS):
        window.open_file(data("syntax_error.py"))
        qtbot.mouseClick(window.findChild(QWidget, "runGradcheck"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=PLOT_MS)
    assert panel.status.text().startswith("not run:") and "syntax" in panel.status.text().lower()


def test_opening_a_file_that_fails_to_load_clears_the_previous_files_curves(window, qtbot):
    assert window.plot_panel.curve_data("plotF") is not None  # the built-in Sigmoid and its torch.sigmoid overlay
    with qtbot.waitSignal(window.run_failed, timeout=PLOT_MS):
        window.open_file(data("syntax_error.py"))
    assert window.plot_panel.curve_data("plotF") is None
    assert window.plot_panel.curve_data("plotF", "torch.sigmoid") is None, "no compare overlay of the old file"
    assert "syntax_error.py did not load" in window.plot_panel.stamp.text()
    assert window.plot_panel.plots["plotF"].getPlotItem().legend.items == [], "nor a legend naming them"
    assert window.statusBar().currentMessage() == "", "no '1 Function(s): Sigmoid' left from the old file"
    assert window.last_curves is None


def test_curves_on_screen_name_their_file_function_and_revision(window, qtbot, tmp_path):
    path = user_file(tmp_path)
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(str(path))
    first = window.plot_panel.stamp.text()
    assert first.startswith("curves of mine.py \u00b7 Square \u00b7 revision ")
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        type_at_end(window, qtbot, "# an edit")
    assert window.plot_panel.stamp.text() != first, "a new revision is a new stamp"


def test_another_file_clears_the_benchmark_of_the_previous_one(window, qtbot):
    panel = window.benchmark
    window.tabs.setCurrentWidget(window.benchmark_tab)
    panel.sizes.setText("100")
    qtbot.mouseClick(window.findChild(QWidget, "runBenchmark"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.report is not None, timeout=BENCH_MS)
    assert panel.curve_data("torch.sigmoid") is not None
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(builtin("square.py"))
    assert panel.report is None and not panel.rows and "Sigmoid" not in panel.status.text()
    assert panel.table.rowCount() == 0
    qtbot.mouseClick(window.findChild(QWidget, "runBenchmark"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.report is not None, timeout=BENCH_MS)
    legend = [label.text for _sample, label in panel.time_plot.legend.items]
    assert "torch.sigmoid" not in legend and "custom Function" in legend


def test_no_engine_starts_after_the_window_closed(make_window, qtbot):
    before = _engine_pids()
    window = make_window(own_session=True)  # waits for the first plot: the benchmark engine's warm-up is now due
    assert not window.session.has_engine("benchmark")
    window.close()
    qtbot.wait(BENCH_ENGINE_DELAY_MS + 1000)
    assert _engine_pids() <= before, "an engine process started after close"


def test_undoing_back_to_the_saved_text_leaves_nothing_to_restore(window, qtbot, tmp_path):
    path = user_file(tmp_path)
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(str(path))
    type_at_end(window, qtbot, "# typed")
    assert window.isWindowModified()
    window.document.autosave_now()  # what the autosave timer does every few seconds
    assert window.document.autosave.saved_text(str(path)) == window.editor.toPlainText()
    while window.editor.toPlainText() != path.read_text(encoding="utf-8"):
        window.editor.undo()
    assert not window.isWindowModified() and not window.document.modified
    assert window.document.autosave.saved_text(str(path)) is None, "the undone edit is not offered back at the next launch"
    window.close()  # no prompt: nothing is unsaved (an unexpected prompt fails the test)
    assert AutosaveStore().pending() == []


def test_a_new_file_nobody_typed_in_is_not_modified_and_quits_without_asking(window, qtbot):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.files.new_file()
    assert not window.isWindowModified() and not window.document.modified
    window.document.autosave_now()
    assert window.document.autosave.saved_text(window.path) is None
    assert window.close(), "closed without the unsaved-changes prompt"
    assert AutosaveStore().pending() == []


def test_a_click_the_instant_run_is_enabled_after_a_cancel_runs(window, qtbot):
    panel = window.gradcheck
    qtbot.mouseClick(window.findChild(QWidget, "runGradcheck"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=PLOT_MS)
    started = time.monotonic()
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.checks is not None, timeout=PLOT_MS)
    assert panel.checks.function == "Sigmoid" and time.monotonic() - started < PLOT_MS / 1000


def test_a_kink_is_marked_on_the_plots_and_named_in_the_notes(window, qtbot):
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(builtin("relu.py"))
    assert window.plot_panel.kinks_shown() == [0.0]
    assert "not differentiable at x = 0" in window.plot_panel.notes.text()
    with qtbot.waitSignal(window.curves_shown, timeout=PLOT_MS):
        window.open_file(builtin("sigmoid.py"))
    assert window.plot_panel.kinks_shown() == [], "a smooth function has none, and the old lines are gone"
