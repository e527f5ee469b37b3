"""The Plots and Calls tabs kept in step with the document: curves and calls of the current Function only."""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from gradlab.gui.arguments import ArgumentsPanel
from gradlab.gui.calls_panel import CallsPanel
from gradlab.gui.file_runner import FileRunner
from gradlab.gui.plots import PlotPanel
from gradlab.gui.session import Job
from gradlab.model.requests import CallsRequest, CurvesRequest
from gradlab.model.results import CallStyles, CurveSet, FunctionInfo, Problem


class CurvesView(QObject):
    """Requests f, f′, f″ (and the calling styles) for the current Function and shows only answers that are its own.

    The last good curves stay while the *same* file is edited into an error;
    once another file is shown they are cleared, so no plot ever shows one
    file's Function under another's name.

    Signals
    -------
    shown(float)
        New curves are on screen; seconds since they were asked for.
    failed(object)
        A :class:`Problem` of computing the curves or the calls.
    """

    shown = Signal(float)
    failed = Signal(object)

    def __init__(self, runner: FileRunner, plots: PlotPanel, arguments: ArgumentsPanel, calls: CallsPanel, calls_shown: Callable[[], bool]) -> None:
        super().__init__(plots)
        self.runner, self.plots, self.arguments, self.calls = runner, plots, arguments, calls
        self._calls_shown = calls_shown
        self.last_curves: CurveSet | None = None
        self.last_calls: CallStyles | None = None
        self._curves_job: Job | None = None
        self._calls_job: Job | None = None
        self._asked_at = 0.0
        self._ranged: tuple[str | None, str] | None = None  # (path, Function) whose domain the controls show
        self._shown_path: str | None = None  # whose curves are on screen
        self.shown_revision = -1  # the revision of the text whose curves are on screen
        runner.switched.connect(self._on_switched)
        runner.function_changed.connect(self._on_function_changed)
        runner.failed.connect(self._on_load_failed)
        plots.range_changed.connect(self.request_curves)
        arguments.changed.connect(self.request_curves)
        calls.requires_grad_changed.connect(self.request_calls)

    def request_curves(self) -> None:
        info = self.runner.function_info()
        if info is None:
            return
        low, high = self.plots.domain()
        request = CurvesRequest(
            self.runner.document.source(),
            info.name,
            domain=(low, high),
            points=self.plots.points.value(),
            sweep=self.arguments.sweep(),
            fixed=self.arguments.fixed() or None,
        )
        self._asked_at = time.perf_counter()
        job = self._curves_job = self.runner.submit(request, channel="curves")
        job.result.connect(lambda curves, j=job: self._on_curves(j, curves))
        job.error.connect(lambda problem, j=job: self._on_failed(j, problem))
        job.cancelled.connect(lambda problem, j=job: self._on_failed(j, problem))

    def request_calls(self) -> None:
        """Ask for the calling styles, only while the Calls tab is shown."""
        info = self.runner.function_info()
        if info is None or not self._calls_shown():
            return
        request = CallsRequest(self.runner.document.source(), info.name, requires_grad=self.calls.requires_grad() or None)
        job = self._calls_job = self.runner.submit(request, channel="calls")
        job.result.connect(lambda calls, j=job: self._on_calls(j, calls))
        job.error.connect(lambda problem, j=job: self._on_failed(j, problem))
        job.cancelled.connect(lambda problem, j=job: self._on_failed(j, problem))

    # -- answers ----------------------------------------------------------
    def _on_switched(self, path: str) -> None:
        self._curves_job = self._calls_job = None
        self.last_curves = self.last_calls = None
        self.plots.clear(f"{os.path.basename(path)}: loading\u2026")

    def _on_function_changed(self, info: FunctionInfo | None) -> None:
        if info is None:
            return
        key = (self.runner.document.path, info.name)
        if self._ranged != key:
            self._ranged = key
            self.plots.set_range(*info.domain)
        self.arguments.set_function(info)
        self.calls.set_function(info)
        self.request_curves()
        self.request_calls()

    def _on_load_failed(self, problem: Problem, _job: Job) -> None:
        # the same file edited into an error keeps its last good curves; nothing of another file is ever left
        if self.plots.curves() is None or self._shown_path != self.runner.document.path:
            self.plots.clear(f"{self.runner.document.name()} did not load: see the problem under the editor")

    def _on_curves(self, job: Job, curves: CurveSet) -> None:
        if job is not self._curves_job or not self.runner.is_current(job):
            return  # newer edits asked again, or another file or Function is shown
        try:
            self.plots.show_curves(curves)
        except Exception as exc:
            if self.last_curves is not None:
                self.plots.show_curves(self.last_curves)
            self.failed.emit(Problem("internal", f"gradlab could not show the curves of {curves.function}: {type(exc).__name__}: {exc}", traceback="".join(traceback.format_exception(exc))))
            raise  # to sys.excepthook: the error dialog while the app runs
        self.last_curves = curves
        self._shown_path = job.stamp.path
        self.shown_revision = job.stamp.revision
        self.plots.stamp.setText(f"curves of {job.stamp.label()}")
        self.shown.emit(time.perf_counter() - self._asked_at)

    def _on_calls(self, job: Job, calls: CallStyles) -> None:
        if job is self._calls_job and self.runner.is_current(job):
            self.last_calls = calls
            self.calls.show_calls(calls)

    def _on_failed(self, job: Job, problem: Problem) -> None:
        if job in (self._curves_job, self._calls_job) and self.runner.is_current(job) and problem.kind != "superseded":
            self.failed.emit(problem)
