"""The Gradcheck tab kept in step with the document: checks and eps sweeps of the current Function only."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gradlab.gui.file_runner import FileRunner
from gradlab.gui.gradcheck_panel import GradcheckPanel
from gradlab.gui.session import Job
from gradlab.model.lint import lint_source
from gradlab.model.options import CheckOptions, SweepOptions
from gradlab.model.requests import CheckRequest, EpsSweepRequest
from gradlab.model.results import FunctionInfo, Problem

#: Seconds a gradcheck or eps sweep may run (slow mode on large inputs is slow; Cancel stops it sooner).
CHECK_TIMEOUT = 600.0


class CheckView(QObject):
    """Runs the panel's check or sweep once the file is loaded, and shows each answer stamped with its file, Function and revision.

    Signals
    -------
    failed(object)
        The :class:`Problem` of a check or sweep of the file on screen that did not finish.
    """

    failed = Signal(object)

    def __init__(self, runner: FileRunner, panel: GradcheckPanel) -> None:
        super().__init__(panel)
        self.runner, self.panel = runner, panel
        self.job: Job | None = None
        panel.run_requested.connect(lambda options: self._when_loaded(CheckRequest, options))
        panel.sweep_requested.connect(lambda options: self._when_loaded(EpsSweepRequest, options))
        panel.cancel_requested.connect(self.cancel)
        runner.switched.connect(self._on_switched)
        runner.function_changed.connect(self._on_function_changed)
        runner.loaded.connect(lambda _info: panel.show_lint(lint_source(runner.document.text())))
        self._checked_function: str | None = None
        self._pending = None  # the token of a click waiting for the load

    def cancel(self) -> None:
        """Cancel the check or sweep, whether it runs now or waits behind the load or a plot."""
        if self.job is not None:
            self.job.cancel()
        self._pending = None

    def _forget(self, text: str) -> None:
        self.cancel()
        self.job = None
        self.panel.set_running(False)
        self.panel.clear_results(text)

    def _on_switched(self, _path: str) -> None:
        self._forget("another file is shown: not checked yet")
        self._checked_function = None  # the new file's first Function is not a change of Function

    def _on_function_changed(self, info: FunctionInfo | None) -> None:
        if info is not None and self._checked_function not in (None, info.name):
            self._forget(f"{info.name}: not checked yet")
        self._checked_function = info.name if info is not None else None

    def _when_loaded(self, kind: type, options: CheckOptions | SweepOptions) -> None:
        """A click before the file has loaded waits for the load; it is never dropped."""
        token = self._pending = object()
        if self.runner.loading:
            self.panel.status.setText(f"waiting for {self.runner.document.name()} to load\u2026")
        self.runner.when_loaded(lambda info, problem: self._submit(token, kind, options, info, problem))

    def _submit(self, token, kind: type, options, info: FunctionInfo | None, problem: Problem | None) -> None:
        if token is not self._pending:
            return  # cancelled, or another file was opened, while it waited
        self._pending = None
        if info is None:
            self.panel.show_failure(f"not run: {problem.message.splitlines()[0]}" if problem else "not run: the file has not loaded")
            return
        request = kind(self.runner.document.source(), info.name, options=options)
        job = self.job = self.runner.submit(request, channel="check", timeout=CHECK_TIMEOUT)
        job.progress.connect(lambda done, total, j=job: j is self.job and self.panel.show_progress(done, total))
        job.result.connect(lambda result, j=job: self._on_result(j, result))
        job.error.connect(lambda problem, j=job: self._on_problem(j, problem))
        job.cancelled.connect(lambda problem, j=job: self._on_problem(j, problem))

    def _on_result(self, job: Job, result) -> None:
        if job is not self.job or not self.runner.is_current(job):
            return
        if isinstance(job.request, CheckRequest):
            self.panel.show_checks(result)
        else:
            self.panel.show_sweep(result)
        edited = " (the text has changed since)" if job.stamp.revision != self.runner.document.revision else ""
        self.panel.status.setText(f"{self.panel.status.text()}\nfor {job.stamp.label()}{edited}")

    def _on_problem(self, job: Job, problem: Problem) -> None:
        if job is self.job and self.runner.is_current(job):
            self.panel.show_failure(f"{problem.kind}: {problem.message.splitlines()[0]}")
            self.failed.emit(problem)
