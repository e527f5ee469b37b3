"""gradlab's main window: layout, menus and wiring.

The state lives elsewhere: the :class:`~gradlab.gui.document.Document` (the
file and its text), the :class:`~gradlab.gui.session.Session` (the engines and
their jobs) and the :class:`~gradlab.gui.file_runner.FileRunner` (loads, and
requests that wait for them).  Each tab has a view object that shows only
answers belonging to what is on screen.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from gradlab.gui.arguments import ArgumentsPanel
from gradlab.gui.calls_panel import CallsPanel
from gradlab.gui.disk_bar import DiskChangedBar
from gradlab.gui.document import Document
from gradlab.gui.editor import CodeEditor
from gradlab.gui.export_test_action import on_export_test
from gradlab.gui.file_actions import FileActions
from gradlab.gui.file_runner import FileRunner
from gradlab.gui.picker import FunctionPicker
from gradlab.gui.problems import ProblemsLine
from gradlab.gui.session import INTERACTIVE, Session
from gradlab.gui.status_bar import StatusBar, permanent_label
from gradlab.gui.widgets import named, scrollable
from gradlab.model.results import FileInfo, FunctionInfo, Problem
from gradlab.model.words import counted

ENGINE_STATE_TEXT = {
    "starting": "engine: starting (importing torch)\u2026",
    "ready": "engine: ready",
    "busy": "engine: busy\u2026",
    "restarted": "engine: restarted",
    "stopped": "engine: stopped",
}


class MainWindow(QMainWindow):
    """The desktop app.  Needs no arguments: it starts its own engines and stops them on close.

    Parameters
    ----------
    request_timeout : float
        Seconds one interactive engine request may run before it is stopped.
    open_default : bool
        Open the last file (or the built-in Sigmoid) at once.
    session : Session, optional
        Engines to use instead of new ones (tests share them); not closed with the window.

    Signals
    -------
    curves_shown(float)
        New curves are on screen; the argument is seconds since they were asked for.
    run_failed(object)
        A run ended with a :class:`Problem`.
    """

    curves_shown = Signal(float)
    run_failed = Signal(object)

    def __init__(self, *, request_timeout: float = 10.0, open_default: bool = True, session: Session | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.resize(1400, 900)
        self.settings = QSettings("gradlab", "gradlab")  # not QSettings(): the app's names may be someone else's
        self._owns_session = session is None
        self.session = session or Session(request_timeout, parent=self)
        self._build_widgets()
        self.document = Document(self.editor, self.settings)
        self.runner = FileRunner(self.document, self.session, self)
        self.files = FileActions(self, self.document, self.runner, self.problems, lambda: self.last_curves)
        self._build_actions()
        self._wire()
        self._restore_layout()
        if open_default:
            self.files.open_last_session()
        self.files.offer_restores()

    # -- construction ----------------------------------------------------
    def _build_widgets(self) -> None:
        self.picker = FunctionPicker()
        self.editor = named(CodeEditor(defer_highlighting=True), "editor")
        self.problems = ProblemsLine()
        self.disk_bar = DiskChangedBar()
        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        for widget, stretch in ((self.disk_bar, 0), (self.editor, 1), (self.problems, 0)):
            centre_layout.addWidget(widget, stretch)
        self.arguments = ArgumentsPanel()
        plots_tab = QWidget()
        self._plots_layout = QVBoxLayout(plots_tab)
        self._plots_layout.setContentsMargins(0, 0, 0, 0)
        self._plots_layout.addWidget(self.arguments)
        self.calls = CallsPanel()
        self.tabs = named(QTabWidget(), "rightTabs")
        self.tabs.addTab(plots_tab, "Plots")
        self.tabs.addTab(self.calls, "Calls")
        self._deferred_built = False
        self.splitter = named(QSplitter(Qt.Orientation.Horizontal), "mainSplitter")
        for index, (widget, stretch) in enumerate(((self.picker, 0), (centre, 3), (self.tabs, 4))):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(index, stretch)
        self.splitter.setSizes([260, 520, 620])
        self.setCentralWidget(self.splitter)
        self.setStatusBar(StatusBar(self))
        self.engine_state = permanent_label(ENGINE_STATE_TEXT["starting"], "engineState")
        self.statusBar().addPermanentWidget(self.engine_state)

    def build_deferred(self) -> None:
        """The plots and the Gradcheck and Benchmark tabs, built right after the window first shows.

        They need pyqtgraph, whose import is a third of the start-up time; the
        window is on screen first.  Safe to call again (it builds once).
        """
        if self._deferred_built:
            return
        self._deferred_built = True
        from gradlab.gui.bench_view import BenchView
        from gradlab.gui.benchmark_panel import BenchmarkPanel
        from gradlab.gui.check_view import CheckView
        from gradlab.gui.curves_view import CurvesView
        from gradlab.gui.gradcheck_panel import GradcheckPanel
        from gradlab.gui.plots import PlotPanel

        self.plot_panel = PlotPanel()
        self._plots_layout.addWidget(self.plot_panel, 1)
        if (state := self.settings.value("window/plot_splitter")) is not None:
            self.plot_panel.splitter.restoreState(state)
        self.curves_view = CurvesView(self.runner, self.plot_panel, self.arguments, self.calls, lambda: self.tabs.currentWidget() is self.calls)
        self.curves_view.shown.connect(self._on_curves_shown)
        self.curves_view.failed.connect(self._show_problem)
        self.gradcheck = GradcheckPanel()
        self.gradcheck.line_requested.connect(self.editor.go_to_line)
        self.check_view = CheckView(self.runner, self.gradcheck)
        self.check_view.failed.connect(self._show_problem)
        self.gradcheck_tab = scrollable(self.gradcheck)
        self.tabs.addTab(self.gradcheck_tab, "Gradcheck")
        self.benchmark = BenchmarkPanel()
        self.bench_view = BenchView(self.runner, self.benchmark)
        self.benchmark_tab = scrollable(self.benchmark)
        self.tabs.addTab(self.benchmark_tab, "Benchmark")
        if self.runner.function_info() is not None:  # loaded before the tabs existed
            self.runner.function_changed.emit(self.runner.function_info())

    def _build_actions(self) -> None:
        def action(text, shortcuts, slot, menu):
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(s) for s in shortcuts])
            act.triggered.connect(slot)
            menu.addAction(act)
            self.addAction(act)
            return act

        file_menu = self.menuBar().addMenu("&File")
        self.new_action = action("&New from template", [QKeySequence.StandardKey.New], self.files.new_file, file_menu)
        self.open_action = action("&Open\u2026", [QKeySequence.StandardKey.Open], self.files.on_open, file_menu)
        self.save_action = action("&Save", [QKeySequence.StandardKey.Save], self.files.save, file_menu)
        self.save_as_action = action("Save &As\u2026", ["Ctrl+Shift+S"], self.files.on_save_as, file_menu)
        file_menu.addSeparator()
        self.export_plots_action = action("Export plots (PNG/SVG)\u2026", [], self.files.on_export_plots, file_menu)
        self.export_csv_action = action("Export curves (CSV)\u2026", [], self.files.on_export_csv, file_menu)
        self.export_test_action = action("Export &test\u2026", [], lambda: on_export_test(self), file_menu)
        self.export_test_action.setObjectName("actionExportTest")
        file_menu.addSeparator()
        action("&Quit", [QKeySequence.StandardKey.Quit], self.close, file_menu)
        run_menu = self.menuBar().addMenu("&Run")
        self.run_action = action("&Run now", ["F5", "Ctrl+Return", "Ctrl+Enter"], self.run_now, run_menu)
        self.stop_action = action("&Stop", ["Shift+F5", "Ctrl+."], self.stop, run_menu)

    def _wire(self) -> None:
        self.picker.set_recent(self.document.recent())
        self.picker.file_chosen.connect(lambda path: path != self.document.path and self.open_file(path))
        self.picker.function_chosen.connect(self.select_function)
        self.problems.location_clicked.connect(self.editor.go_to_line)
        self.editor.paste_refused.connect(lambda why: self.statusBar().showMessage(why, 15000))
        self.disk_bar.reload_requested.connect(self.files.reload_from_disk)
        self.disk_bar.keep_requested.connect(self.disk_bar.hide)
        self.tabs.currentChanged.connect(lambda _index: self._deferred_built and self.curves_view.request_calls())
        self.document.opened.connect(self._on_opened)
        self.document.saved.connect(self._on_saved)
        self.document.modified_changed.connect(lambda _modified: self._update_title())
        self.document.recent_changed.connect(self.picker.set_recent)
        self.document.disk_changed.connect(self._on_disk_changed)
        self.runner.loaded.connect(self._on_loaded)
        self.runner.function_changed.connect(self._on_function_changed)
        self.runner.failed.connect(lambda problem, _job: self._show_problem(problem))
        self.session.state_changed.connect(self._on_engine_state)
        QTimer.singleShot(0, self.build_deferred)  # after the window is on screen

    # -- the contract of DESIGN.md, and Run ------------------------------
    def open_file(self, path: str, run: bool = True) -> bool:
        """Open a function file and (with ``run``) plot it; False when it cannot be read or the user cancelled."""
        return self.files.open_file(path, run)

    @property
    def path(self) -> str | None:
        return self.document.path

    @property
    def function(self) -> str | None:
        return self.runner.function

    @property
    def last_curves(self):
        return self.curves_view.last_curves if self._deferred_built else None

    def run_now(self) -> None:
        """Run the editor's code now: load it, then plot the current Function."""
        self.runner.run()

    def stop(self) -> None:
        """Cancel the running request; the engine restarts."""
        self.session.stop(INTERACTIVE)

    def select_function(self, name: str) -> None:
        """Plot the Function ``name`` of the current file."""
        self.runner.select(name)

    # -- handlers --------------------------------------------------------
    def _on_opened(self, path: str) -> None:
        self.disk_bar.hide()
        self.problems.show_problem(None)
        self.statusBar().clearMessage()  # it spoke of the previous file
        self._update_title()
        if os.path.exists(path):
            self.picker.add_open_file(path)
        self.picker.set_current(path, [], None)

    def _on_disk_changed(self, kind: str) -> None:
        {"changed": self.disk_bar.show_changed, "deleted": self.disk_bar.show_deleted}.get(kind, lambda _path: self.disk_bar.hide())(self.document.path)

    def _on_saved(self, path: str) -> None:
        self.disk_bar.hide()
        self.picker.add_open_file(path)
        self._update_title()

    def _on_loaded(self, info: FileInfo) -> None:
        self.build_deferred()
        self.editor.clear_error_marks()
        self.problems.show_problem(None)
        names = [f.name for f in info.functions]
        warnings = info.captured.warnings
        self.statusBar().showMessage(warnings[0] if warnings else f"{counted(len(names), 'Function')}: {', '.join(names)}", 8000)

    def _on_function_changed(self, info: FunctionInfo | None) -> None:
        if info is not None and self.runner.info is not None:
            self.picker.set_current(self.document.path, list(self.runner.info.functions), info.name)

    def _on_curves_shown(self, seconds: float) -> None:
        self.bench_view.warm_up_later()
        self.curves_shown.emit(seconds)

    def _show_problem(self, problem: Problem) -> None:
        if problem.location is not None and self.document.path and os.path.abspath(problem.location.filename) == self.document.path:
            self.editor.set_error_marks({problem.location.lineno: problem.message})
        self.problems.show_problem(problem)
        if problem.kind in ("timeout", "crash", "cancelled"):
            self.statusBar().showMessage(problem.message, 15000)
        self.run_failed.emit(problem)

    def _on_engine_state(self, engine: str, state: str) -> None:
        if engine == INTERACTIVE:
            self.engine_state.setText(ENGINE_STATE_TEXT.get(state, f"engine: {state}"))
            self.engine_state.setProperty("state", state)

    def _update_title(self) -> None:
        suffix = " (example, read-only: Save As to keep changes)" if self.document.is_builtin() else ""
        self.setWindowTitle(f"{self.document.name() if self.document.path else 'gradlab'}[*]{suffix} \u2014 gradlab")
        self.setWindowModified(self.document.modified)

    # -- layout persistence and shutdown ---------------------------------
    def _restore_layout(self) -> None:
        if (geometry := self.settings.value("window/geometry")) is not None:
            self.restoreGeometry(geometry)
        if (state := self.settings.value("window/main_splitter")) is not None:
            self.splitter.restoreState(state)

    def _save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/main_splitter", self.splitter.saveState())
        if self._deferred_built:
            self.settings.setValue("window/plot_splitter", self.plot_panel.splitter.saveState())
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.files.maybe_save():
            event.ignore()
            return
        self._save_layout()
        self.runner.close()
        self.document.close()
        if self._deferred_built:
            self.bench_view.close()
            self.check_view.cancel()
        if self._owns_session:
            self.session.close()
        super().closeEvent(event)
