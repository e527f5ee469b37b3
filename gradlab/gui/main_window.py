"""gradlab's main window: the picker, the editor, and f, f′, f″ kept live by the engine."""

from __future__ import annotations

import itertools
import os
import tempfile
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gradlab.model.builtins import builtin_functions_dir, default_example, new_function_template
from gradlab.model.curve_table import write_csv
from gradlab.model.lint import lint_source
from gradlab.model.other_functions import other_functions
from gradlab.model.problems import UserCodeError
from gradlab.model.results import CallStyles, CurveSet, FileInfo, FunctionInfo, Problem
from gradlab.model.source_text import read_source
from gradlab.engine import (
    BenchRequest,
    CallsRequest,
    CheckRequest,
    CurvesRequest,
    EpsSweepRequest,
    LoadRequest,
    OtherFunction,
    Source,
)
from gradlab.gui.arguments import ArgumentsPanel
from gradlab.gui.autosave import AutosavedBuffer, AutosaveStore
from gradlab.gui.calls_panel import CallsPanel
from gradlab.gui.disk_bar import DiskChangedBar
from gradlab.gui.editor import CodeEditor
from gradlab.gui.engine_bridge import EngineBridge
from gradlab.gui.file_io import write_text_atomically
from gradlab.gui.picker import FunctionPicker
from gradlab.gui.problems import ProblemsLine
from gradlab.gui.widgets import named

#: Seconds a gradcheck or eps sweep may run (slow mode on large inputs is slow; Cancel stops it sooner).
CHECK_TIMEOUT = 600.0
#: Milliseconds after the first plot at which the benchmark engine starts, in the background.
BENCH_ENGINE_DELAY_MS = 3000
#: Seconds a whole benchmark sweep may run before it is stopped.
BENCHMARK_TIMEOUT = 3600.0
#: How often unsaved buffers are written to the autosave folder.
AUTOSAVE_MS = 3000
#: Pause after the last keystroke before the edited code runs.
DEBOUNCE_MS = 300
RECENT_LIMIT = 10
ENGINE_STATE_TEXT = {
    "starting": "engine: starting (importing torch)\u2026",
    "ready": "engine: ready",
    "busy": "engine: busy\u2026",
    "restarted": "engine: restarted",
    "stopped": "engine: stopped",
}
_untitled = itertools.count(1)


def _scrollable(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, so a dense panel does not set the window's minimum size."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


class MainWindow(QMainWindow):
    """The desktop app.  Needs no arguments: it starts its own engine and stops it on close.

    Parameters
    ----------
    request_timeout : float
        Seconds one engine request may run before it is stopped.

    Signals
    -------
    curves_shown(float)
        New curves are on screen; the argument is seconds since the run started.
    run_failed(object)
        A run ended with a :class:`Problem`.
    """

    curves_shown = Signal(float)
    run_failed = Signal(object)

    def __init__(self, *, request_timeout: float = 10.0, open_default: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.resize(1400, 900)
        self.settings = QSettings("gradlab", "gradlab")  # not QSettings(): the app's names may be someone else's
        self.bridge = EngineBridge(request_timeout, self)
        self.bridge.result_ready.connect(self._on_result)
        self.bridge.failed.connect(self._on_failed)
        self.bridge.state_changed.connect(self._on_engine_state)
        self.bridge.progress.connect(self._on_progress)
        self.bench_bridge: EngineBridge | None = None  # its own engine, started when idle after the first plot
        self._bench_scheduled = False
        self.path: str | None = None
        self.file_info: FileInfo | None = None
        self._loaded_files: dict[str, FileInfo] = {}  # every file loaded this session: other Functions to benchmark against
        self.function: str | None = None
        self.last_curves: CurveSet | None = None
        self.last_calls: CallStyles | None = None
        self._run_started = 0.0
        self._awaiting_run = False  # restored text: nothing runs until F5
        self._build_widgets()
        self._build_actions()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run_now)
        self.autosave = AutosaveStore()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start()
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_changed_on_disk)
        self._disk_text: str | None = None
        self._restore_layout()
        if open_default:
            self._open_last_session()
        self._pending_restores = self.autosave.pending()
        if self._pending_restores:
            QTimer.singleShot(0, self._offer_next_restore)

    # -- construction ----------------------------------------------------
    def _build_widgets(self) -> None:
        self.picker = FunctionPicker()
        self.picker.set_recent(self._recent_files())
        self.picker.file_chosen.connect(self._on_file_chosen)
        self.picker.function_chosen.connect(self.select_function)
        self.editor = CodeEditor(defer_highlighting=True)
        self.editor.setObjectName("editor")
        self.editor.text_edited.connect(self._on_text_edited)
        self.editor.document().modificationChanged.connect(self.setWindowModified)
        self.problems = ProblemsLine()
        self.problems.location_clicked.connect(self.editor.go_to_line)
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        self.disk_bar = DiskChangedBar()
        self.disk_bar.reload_requested.connect(self._reload_from_disk)
        self.disk_bar.keep_requested.connect(self.disk_bar.hide)
        centre_layout.addWidget(self.disk_bar)
        centre_layout.addWidget(self.editor, 1)
        centre_layout.addWidget(self.problems)
        self.arguments = ArgumentsPanel()
        self.arguments.changed.connect(self._on_arguments_changed)
        plots_tab = QWidget()
        self._plots_layout = QVBoxLayout(plots_tab)
        self._plots_layout.setContentsMargins(0, 0, 0, 0)
        self._plots_layout.addWidget(self.arguments)
        self.calls = CallsPanel()
        self.calls.requires_grad_changed.connect(self._request_calls)
        self.tabs = named(QTabWidget(), "rightTabs")
        self.tabs.addTab(plots_tab, "Plots")
        self.tabs.addTab(self.calls, "Calls")
        self._deferred_built = False
        QTimer.singleShot(0, self.build_deferred)  # after the window is on screen
        self.tabs.currentChanged.connect(self._request_calls)
        self.splitter = named(QSplitter(Qt.Orientation.Horizontal), "mainSplitter")
        self.splitter.addWidget(self.picker)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 4)
        self.splitter.setSizes([260, 520, 620])
        self.setCentralWidget(self.splitter)
        self.engine_state = named(QLabel(ENGINE_STATE_TEXT["starting"]), "engineState")
        self.statusBar().addPermanentWidget(self.engine_state)

    def build_deferred(self) -> None:
        """The plots and the Gradcheck and Benchmark tabs, built right after the window first shows.

        They need pyqtgraph, whose import is a third of the start-up time; the
        window is on screen first.  Safe to call again (it builds once).
        """
        if self._deferred_built:
            return
        self._deferred_built = True
        from gradlab.gui.benchmark_panel import BenchmarkPanel
        from gradlab.gui.gradcheck_panel import GradcheckPanel
        from gradlab.gui.plots import PlotPanel

        self.plot_panel = PlotPanel()
        self.plot_panel.range_changed.connect(self._on_arguments_changed)
        self._plots_layout.addWidget(self.plot_panel, 1)
        state = self.settings.value("window/plot_splitter")
        if state is not None:
            self.plot_panel.splitter.restoreState(state)
        self.gradcheck = GradcheckPanel()
        self.gradcheck.run_requested.connect(self._on_gradcheck_requested)
        self.gradcheck.sweep_requested.connect(self._on_sweep_requested)
        self.gradcheck.cancel_requested.connect(self.cancel_checks)
        self.gradcheck.line_requested.connect(self.editor.go_to_line)
        self.gradcheck_tab = _scrollable(self.gradcheck)
        self.tabs.addTab(self.gradcheck_tab, "Gradcheck")
        self.benchmark = BenchmarkPanel()
        self.benchmark.run_requested.connect(self._on_benchmark_requested)
        self.benchmark.cancel_requested.connect(self.cancel_benchmark)
        self.benchmark_tab = _scrollable(self.benchmark)
        self.tabs.addTab(self.benchmark_tab, "Benchmark")
        info = self.current_function_info()
        if info is not None:
            self.benchmark.set_function(info, list(self._benchmark_others()))
            self.gradcheck.show_lint(lint_source(self.editor.toPlainText()))
        self._update_devices()

    def _build_actions(self) -> None:
        def action(text, shortcuts, slot, menu):
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(s) for s in shortcuts])
            act.triggered.connect(slot)
            menu.addAction(act)
            self.addAction(act)
            return act

        file_menu = self.menuBar().addMenu("&File")
        self.new_action = action("&New from template", [QKeySequence.StandardKey.New], self.new_file, file_menu)
        self.open_action = action("&Open\u2026", [QKeySequence.StandardKey.Open], self._on_open, file_menu)
        self.save_action = action("&Save", [QKeySequence.StandardKey.Save], self.save, file_menu)
        self.save_as_action = action("Save &As\u2026", ["Ctrl+Shift+S"], self._on_save_as, file_menu)
        file_menu.addSeparator()
        self.export_plots_action = action("Export plots (PNG/SVG)\u2026", [], self._on_export_plots, file_menu)
        self.export_csv_action = action("Export curves (CSV)\u2026", [], self._on_export_csv, file_menu)
        file_menu.addSeparator()
        action("&Quit", [QKeySequence.StandardKey.Quit], self.close, file_menu)
        run_menu = self.menuBar().addMenu("&Run")
        self.run_action = action("&Run now", ["F5", "Ctrl+Return", "Ctrl+Enter"], self.run_now, run_menu)
        self.stop_action = action("&Stop", ["Shift+F5", "Ctrl+."], self.stop, run_menu)

    # -- files -----------------------------------------------------------
    def is_builtin(self, path: str | None = None) -> bool:
        """Whether ``path`` (default: the current file) is a built-in example."""
        path = path or self.path
        return bool(path) and Path(path).resolve().parent == builtin_functions_dir().resolve()

    def open_file(self, path: str, run: bool = True) -> bool:
        """Open a function file and (with ``run``) plot it.

        Unsaved changes to the current buffer are offered for saving first.
        Returns False, with a message, when the file cannot be read or the
        user cancelled.
        """
        path = os.path.abspath(path)
        if (path != self.path or self.editor.document().isModified()) and not self.maybe_save():
            return False  # reopening the current file would replace its unsaved edits too
        try:
            text = read_source(path)
        except UserCodeError as exc:
            self.problems.show_problem(exc.problem)
            return False
        self._set_current(path, text)
        self.settings.setValue("last_file", path)
        if run:
            self.run_now()
        else:
            self._awaiting_run = True
            self.problems.show_problem(Problem("load", f"{path}: restored from your last session and not run yet", hint="press F5 to run it"))
        return True

    def _set_current(self, path: str, text: str, modified: bool = False) -> None:
        """Make ``path`` the current file showing ``text`` (nothing runs here)."""
        if self.path and self.path in self._watcher.files():
            self._watcher.removePath(self.path)
        self.disk_bar.hide()
        self._drop_pending_work()
        self.path = path
        self.function = None
        self.file_info = None
        self._awaiting_run = False
        self.editor.set_text_silently(text)
        self.editor.document().setModified(modified)
        self.editor.clear_error_marks()
        self.problems.show_problem(None)
        self._update_title()
        self._disk_text = text if not modified else self._read_disk(path)
        if os.path.exists(path):
            self._watcher.addPath(path)
            self.picker.add_open_file(path)
            if not self.is_builtin(path):
                self._remember_recent(path)

    def _drop_pending_work(self) -> None:
        """Another file is about to be shown: cancel its checks and ignore every answer still due for the old one.

        A late load answer would otherwise request curves of the new text, running
        it without F5; a late gradcheck would show the old file's verdicts.
        """
        self._debounce.stop()
        self.cancel_checks()
        self.bridge.forget()
        if self._deferred_built:
            self.gradcheck.set_running(False)
            self.gradcheck.clear_results("another file is shown: not checked yet")

    @staticmethod
    def _read_disk(path: str) -> str | None:
        try:
            return read_source(path)
        except UserCodeError:
            return None

    def _open_last_session(self) -> None:
        """Reopen the last file: a built-in example runs; the user's own file waits for F5 (opening is what runs code)."""
        last = self.settings.value("last_file", "", str)
        if last and os.path.exists(last) and not self.is_builtin(last):
            self.open_file(last, run=False)
        else:
            self.open_file(last if last and os.path.exists(last) else str(default_example()))

    def new_file(self) -> None:
        """Start an untitled buffer from a template Function."""
        if not self.maybe_save():
            return
        self._set_current(self._untitled_path(), new_function_template(), modified=True)
        self.run_now()

    def _untitled_path(self) -> str:
        """A new untitled buffer's path: neither a file nor the key of unsaved text left from another session."""
        taken = {buffer.path for buffer in self.autosave.pending()}
        while True:
            path = os.path.join(tempfile.gettempdir(), f"untitled-{next(_untitled)}.py")
            if path not in taken and not os.path.exists(path):
                return path

    def is_untitled(self) -> bool:
        return bool(self.path) and os.path.basename(self.path).startswith("untitled-") and not os.path.exists(self.path)

    def save(self) -> bool:
        """Save to the current path; built-in examples and untitled buffers go through Save As."""
        if self.is_builtin() or self.is_untitled():
            return self._on_save_as()
        return self.save_as(self.path)

    def save_as(self, path: str) -> bool:
        """Write the editor's text to ``path`` atomically and make it the current file."""
        path = os.path.abspath(path)
        try:
            write_text_atomically(path, self.editor.toPlainText())
        except OSError as exc:
            self.problems.show_problem(Problem("load", f"{path}: could not save: {exc.strerror or exc}"))
            return False
        if self.path and self.path != path:
            self.autosave.discard(self.path)
        self.autosave.discard(path)
        if self.path and self.path in self._watcher.files():
            self._watcher.removePath(self.path)
        self.path = path
        self._disk_text = self.editor.toPlainText()
        self._watcher.addPath(path)
        self.disk_bar.hide()
        self.editor.document().setModified(False)
        self.picker.add_open_file(path)
        self._remember_recent(path)
        self.settings.setValue("last_file", path)
        self._update_title()
        return True

    # -- nothing lost ----------------------------------------------------
    def ask_unsaved(self) -> str:
        """Ask what to do with unsaved changes: ``"save"``, ``"discard"`` or ``"cancel"``."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "gradlab",
            f"{os.path.basename(self.path or 'untitled')} has unsaved changes.",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("unsavedDialog")
        box.setInformativeText("Save them before going on?")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel"
        )

    def maybe_save(self) -> bool:
        """True when it is safe to replace the buffer: nothing unsaved, saved now, or discarded on purpose."""
        if not self.editor.document().isModified():
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        if answer == "discard":
            if self.path:
                self.autosave.discard(self.path)
            return True
        return False

    def autosave_now(self) -> None:
        """Write the buffer to the autosave folder if it has unsaved changes."""
        if self.path and self.editor.document().isModified():
            try:
                self.autosave.save(self.path, self.editor.toPlainText())
            except OSError as exc:
                self.statusBar().showMessage(f"autosave failed: {exc}", 8000)

    def restore_buffer(self, buffer: AutosavedBuffer) -> None:
        """Put an autosaved buffer back in the editor, unsaved, without running it."""
        if self.editor.document().isModified() and not self.maybe_save():
            return
        self._set_current(buffer.path, buffer.text, modified=True)
        self._awaiting_run = True
        self.problems.show_problem(Problem("load", f"{buffer.path}: restored unsaved text from {time.ctime(buffer.saved_at)}", hint="save it, or press F5 to run it"))

    def _offer_next_restore(self) -> None:
        if not self._pending_restores:
            return
        buffer = self._pending_restores.pop(0)
        box = QMessageBox(QMessageBox.Icon.Question, "gradlab", f"Unsaved text of {buffer.path} was left from {time.ctime(buffer.saved_at)}.", QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("restoreDialog")
        box.setInformativeText("Restore it? Details shows what differs from the file on disk. Nothing runs until you press F5.")
        box.setDetailedText(buffer.diff())
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        restore.setObjectName("restoreButton")
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        discard.setObjectName("discardRestoreButton")
        restore.clicked.connect(lambda: self.restore_buffer(buffer))
        discard.clicked.connect(lambda: buffer.record.unlink(missing_ok=True))
        box.finished.connect(lambda _result: QTimer.singleShot(0, self._offer_next_restore))
        self.restore_dialog = box
        box.open()

    def _on_file_changed_on_disk(self, path: str) -> None:
        if path != self.path:
            return
        if os.path.exists(path):
            self._watcher.addPath(path)  # an atomic replace drops the watch
            disk = self._read_disk(path)
            if disk is not None and disk != self._disk_text:
                self.disk_bar.show_changed(path)
        else:
            self.editor.document().setModified(True)
            self.disk_bar.show_deleted(path)

    def _reload_from_disk(self) -> None:
        disk = self._read_disk(self.path)
        if disk is None:
            return
        self._set_current(self.path, disk)
        self.autosave.discard(self.path)
        self.run_now()

    def _on_save_as(self) -> bool:
        start = os.path.basename(self.path or "function.py") if self.is_builtin() else (self.path or "")
        path, _ = QFileDialog.getSaveFileName(self, "Save function file", start, "Python files (*.py)")
        return bool(path) and self.save_as(path)

    def export_plots(self, path: str) -> str | None:
        """Write the shown curves as a three-panel PNG or SVG (by extension; none means PNG); the path written, or None."""
        if not path.lower().endswith((".png", ".svg")):
            path += ".png"
        from gradlab.gui.figure import export_figure

        return self._export(path, lambda: export_figure(self.last_curves, path))

    def export_csv(self, path: str) -> str | None:
        """Write the shown curves as CSV, the columns of ``gradlab plot --out x.csv``; the path written, or None."""
        if not path.lower().endswith(".csv"):
            path += ".csv"
        return self._export(path, lambda: write_csv(self.last_curves, path))

    def _export(self, path: str, write) -> str | None:
        if self.last_curves is None:
            self.statusBar().showMessage("nothing to export yet: no curves have been drawn", 8000)
            return None
        try:
            write()
        except OSError as exc:
            self.statusBar().showMessage(f"could not export {path}: {exc.strerror or exc}", 15000)
            return None
        self.statusBar().showMessage(f"exported {path}", 8000)
        return path

    def _on_export_plots(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "curves.png", "Images (*.png *.svg)")
        if path:
            self.export_plots(path)

    def _on_export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves", "curves.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def _on_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open function file", "", "Python files (*.py)")
        if path:
            self.open_file(path)

    def _on_file_chosen(self, path: str) -> None:
        if path != self.path:
            self.open_file(path)

    def _recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        return [p for p in ([value] if isinstance(value, str) else list(value or [])) if p]

    def _remember_recent(self, path: str) -> None:
        recent = [path] + [p for p in self._recent_files() if p != path]
        self.settings.setValue("recent_files", recent[:RECENT_LIMIT])
        self.picker.set_recent(recent[:RECENT_LIMIT])

    def _update_title(self) -> None:
        name = os.path.basename(self.path) if self.path else "gradlab"
        suffix = " (example, read-only: Save As to keep changes)" if self.is_builtin() else ""
        self.setWindowTitle(f"{name}[*]{suffix} \u2014 gradlab")
        self.setWindowModified(self.editor.document().isModified())

    # -- running ---------------------------------------------------------
    def source(self) -> Source:
        """What the engine runs: the current path and the editor's (possibly unsaved) text."""
        return Source(self.path, self.editor.toPlainText())

    def run_now(self) -> None:
        """Run the editor's code now: load it, then plot the current Function."""
        self._debounce.stop()
        if not self.path:
            return
        self._awaiting_run = False
        self._run_started = time.perf_counter()
        self.bridge.submit("load", LoadRequest(self.source()))

    def stop(self) -> None:
        """Cancel the running request; the engine restarts."""
        self.bridge.cancel()

    def cancel_checks(self) -> None:
        """Cancel the gradcheck or eps sweep, whether it runs now or waits behind a plot."""
        for channel in ("check", "sweep"):
            self.bridge.cancel(channel)

    def select_function(self, name: str) -> None:
        """Plot the Function ``name`` of the current file."""
        if self.file_info is None or name not in [f.name for f in self.file_info.functions]:
            return
        if name != self.function and self._deferred_built:
            self.cancel_checks()
            self.gradcheck.clear_results(f"{name}: not checked yet")
        self.function = name
        self._apply_function_info()
        self._request_curves()
        self._request_calls()

    def current_function_info(self) -> FunctionInfo | None:
        if self.file_info is None:
            return None
        return next((f for f in self.file_info.functions if f.name == self.function), None)

    def _apply_function_info(self) -> None:
        self.build_deferred()
        info = self.current_function_info()
        if info is None:
            return
        previous = getattr(self, "_shown_function", None)
        if previous != (self.path, info.name):
            self._shown_function = (self.path, info.name)
            self.plot_panel.set_range(*info.domain)
        self.arguments.set_function(info)
        self.calls.set_function(info)
        self.benchmark.set_function(info, list(self._benchmark_others()))
        self.picker.set_current(self.path, [f.name for f in self.file_info.functions], info.name)

    def _request_curves(self) -> None:
        info = self.current_function_info()
        if info is None:
            return
        low, high = self.plot_panel.domain()
        self.bridge.submit(
            "curves",
            CurvesRequest(
                self.source(),
                info.name,
                domain=(low, high),
                points=self.plot_panel.points.value(),
                sweep=self.arguments.sweep(),
                fixed=self.arguments.fixed() or None,
            ),
        )

    def _request_calls(self) -> None:
        """Ask for the calling styles, only while the Calls tab is shown."""
        info = self.current_function_info()
        if info is not None and self.tabs.currentWidget() is self.calls:
            self.bridge.submit("calls", CallsRequest(self.source(), info.name, requires_grad=self.calls.requires_grad() or None))

    def _on_gradcheck_requested(self, options: dict) -> None:
        info = self.current_function_info()
        if info is None:
            self.gradcheck.show_failure("nothing to check: the file has not loaded")
            return
        self.bridge.submit("check", CheckRequest(self.source(), info.name, options=options), timeout=CHECK_TIMEOUT)

    def _on_sweep_requested(self, options: dict) -> None:
        info = self.current_function_info()
        if info is None:
            self.gradcheck.show_failure("nothing to sweep: the file has not loaded")
            return
        self.bridge.submit("sweep", EpsSweepRequest(self.source(), info.name, options=options), timeout=CHECK_TIMEOUT)

    def prepare_benchmark_engine(self) -> None:
        """Start the benchmark engine (idempotent): done while idle after the first plot, so a run starts at once."""
        if self.bench_bridge is None:
            self.bench_bridge = EngineBridge(BENCHMARK_TIMEOUT, self)
            self.bench_bridge.result_ready.connect(self._on_benchmark_result)
            self.bench_bridge.failed.connect(self._on_benchmark_failed)
            self.bench_bridge.item_ready.connect(lambda channel, ticket, item: self.benchmark.add_item(item))
            self.bench_bridge.progress.connect(lambda channel, ticket, done, total: self.benchmark.show_progress(done, total))
            # imports torch there while idle; a built-in, never the user's text, which may not have been run yet
            self.bench_bridge.submit("warm", LoadRequest(Source(str(default_example()))))

    def _on_benchmark_requested(self, options: dict) -> None:
        info = self.current_function_info()
        if info is None:
            self.benchmark.show_failure("nothing to benchmark: the file has not loaded")
            return
        others = self._benchmark_others()
        chosen = tuple(
            OtherFunction(self.source() if path == self.path else Source(path), name)
            for label, (path, name) in others.items()
            if label in (options.implementations or ())
        )
        self.prepare_benchmark_engine()
        self.bench_bridge.submit("bench", BenchRequest(self.source(), info.name, options=options, others=chosen))

    def _benchmark_others(self) -> dict[str, tuple[str, str]]:
        """Other Functions with the current one's arguments, in this file or another loaded this session."""
        info = self.current_function_info()
        if info is None or not self.path:
            return {}
        files = {self.path: self.file_info}  # this file's versions first
        files.update((p, f) for p, f in self._loaded_files.items() if p != self.path and os.path.exists(p))
        return other_functions(self.path, info, files)

    def cancel_benchmark(self) -> None:
        """Stop the running benchmark; its engine restarts, the interactive one is untouched."""
        if self.bench_bridge is not None:
            self.bench_bridge.cancel("bench")

    def _on_benchmark_result(self, channel: str, ticket: int, report) -> None:
        if channel == "bench":
            self.benchmark.show_report(report)

    def _on_benchmark_failed(self, channel: str, ticket: int, problem: Problem) -> None:
        if channel != "bench":
            return
        self.benchmark.show_failure(f"{problem.kind}: {problem.message.splitlines()[0]}")

    def _update_devices(self) -> None:
        info = self.bridge.engine.info
        if info is None or not self._deferred_built:
            return
        unavailable = {} if any(d.startswith("cuda") for d in info.devices) else {"cuda": f"no CUDA GPU: torch {info.torch_version} sees none"}
        self.benchmark.set_devices(list(info.devices), unavailable)

    # -- handlers ----------------------------------------------------------
    def _on_progress(self, channel: str, ticket: int, done: int, total: int) -> None:
        if channel in ("check", "sweep") and ticket == self.bridge.latest(channel):
            self.gradcheck.show_progress(done, total)

    def _on_text_edited(self) -> None:
        if not self._awaiting_run:  # restored text runs on F5 only, however it is edited first
            self._debounce.start()

    def _on_arguments_changed(self) -> None:
        self._run_started = time.perf_counter()
        self._request_curves()

    def _on_result(self, channel: str, ticket: int, result) -> None:
        if ticket != self.bridge.latest(channel):
            return  # an answer to a request that newer edits replaced
        if channel == "load":
            self._on_loaded(result)
        elif channel == "curves":
            self._show_curves_or_roll_back(result)
            if self.bench_bridge is None and not self._bench_scheduled:
                self._bench_scheduled = True
                QTimer.singleShot(BENCH_ENGINE_DELAY_MS, self.prepare_benchmark_engine)
            self.curves_shown.emit(time.perf_counter() - self._run_started)
        elif channel == "calls":
            self.last_calls = result
            self.calls.show_calls(result)
        elif channel == "check":
            self.gradcheck.show_checks(result)
        elif channel == "sweep":
            self.gradcheck.show_sweep(result)

    def _show_curves_or_roll_back(self, curves: CurveSet) -> None:
        """Show new curves; if that fails part-way, put the last good curves back and report the error.

        The plots never stay half-updated: either all items show the new curves
        or all show the previous ones.
        """
        try:
            self.plot_panel.show_curves(curves)
        except Exception as exc:
            if self.last_curves is not None:
                self.plot_panel.show_curves(self.last_curves)
            self.problems.show_problem(
                Problem("internal", f"gradlab could not show the curves of {curves.function}: {type(exc).__name__}: {exc}", traceback="".join(traceback.format_exception(exc)))
            )
            raise  # to sys.excepthook: the error dialog while the app runs
        self.last_curves = curves

    def _on_loaded(self, info: FileInfo) -> None:
        self.file_info = info
        if self.path:
            self._loaded_files[self.path] = info
        self.build_deferred()
        self.gradcheck.show_lint(lint_source(self.editor.toPlainText()))
        names = [f.name for f in info.functions]
        if self.function not in names:
            self.function = names[0]
        self.editor.clear_error_marks()
        self.problems.show_problem(None)
        warnings = info.captured.warnings
        self.statusBar().showMessage(warnings[0] if warnings else f"{len(names)} Function(s): {', '.join(names)}", 8000)
        self._apply_function_info()
        self._request_curves()
        self._request_calls()

    def _on_failed(self, channel: str, ticket: int, problem: Problem) -> None:
        if ticket != self.bridge.latest(channel):
            return
        if channel in ("check", "sweep"):
            self.gradcheck.show_failure(f"{problem.kind}: {problem.message.splitlines()[0]}")
        if problem.location is not None and self.path and os.path.abspath(problem.location.filename) == self.path:
            self.editor.set_error_marks({problem.location.lineno: problem.message})
        self.problems.show_problem(problem)
        if problem.kind in ("timeout", "crash", "cancelled"):
            self.statusBar().showMessage(problem.message, 15000)
        self.run_failed.emit(problem)

    def _on_engine_state(self, state: str) -> None:
        if state == "ready":
            self._update_devices()
        self.engine_state.setText(ENGINE_STATE_TEXT.get(state, f"engine: {state}"))
        self.engine_state.setProperty("state", state)

    # -- layout persistence and shutdown ---------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/main_splitter")
        if state is not None:
            self.splitter.restoreState(state)

    def _save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/main_splitter", self.splitter.saveState())
        if self._deferred_built:
            self.settings.setValue("window/plot_splitter", self.plot_panel.splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.maybe_save():
            event.ignore()
            return
        self._autosave_timer.stop()
        self._debounce.stop()
        self._save_layout()
        self.bridge.close()
        if self.bench_bridge is not None:
            self.bench_bridge.close()
        super().closeEvent(event)
