"""The Benchmark tab kept in step with the document, on the session's benchmark engine."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QTimer

from gradlab.gui.benchmark_panel import BenchmarkPanel
from gradlab.gui.file_runner import FileRunner
from gradlab.gui.session import BENCHMARK, INTERACTIVE, Job
from gradlab.model.options import BenchOptions
from gradlab.model.other_functions import other_functions
from gradlab.model.requests import BenchRequest, OtherFunction, Source
from gradlab.model.results import BenchmarkReport, FunctionInfo, Problem

#: Milliseconds after the first plot at which the benchmark engine starts, in the background.
BENCH_ENGINE_DELAY_MS = 3000


class BenchView(QObject):
    """Runs the panel's benchmark once the file is loaded; another file shown cancels it and clears the tab."""

    def __init__(self, runner: FileRunner, panel: BenchmarkPanel) -> None:
        super().__init__(panel)
        self.runner, self.panel = runner, panel
        self.session = runner.session
        self.job: Job | None = None
        self._pending = None
        self._warm_timer = QTimer(self)  # owned, so closing stops it: no engine starts after the window closed
        self._warm_timer.setSingleShot(True)
        self._warm_timer.setInterval(BENCH_ENGINE_DELAY_MS)
        self._warm_timer.timeout.connect(self.prepare_engine)
        panel.run_requested.connect(self._when_loaded)
        panel.cancel_requested.connect(self.cancel)
        runner.switched.connect(self._on_switched)
        runner.function_changed.connect(self._on_function_changed)
        self.session.state_changed.connect(self._on_engine_state)
        self.update_devices()

    def warm_up_later(self) -> None:
        """Start the benchmark engine when idle (after the first plot), so a first run need not wait for torch."""
        if not self.session.has_engine(BENCHMARK) and not self._warm_timer.isActive():
            self._warm_timer.start()

    def prepare_engine(self) -> None:
        self.session.start(BENCHMARK)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
        self._pending = None

    def close(self) -> None:
        self._warm_timer.stop()

    def others(self) -> dict[str, tuple[str, str]]:
        """Other Functions with the current one's arguments, in this file or another loaded this session."""
        info, path = self.runner.function_info(), self.runner.document.path
        if info is None or not path:
            return {}
        files = {path: self.runner.info}  # this file's versions first
        files.update((p, f) for p, f in self.runner.loaded_files.items() if p != path and os.path.exists(p))
        return other_functions(path, info, files)

    def update_devices(self) -> None:
        engine = self.session.engine(INTERACTIVE)
        info = engine.info if engine is not None else None
        if info is None:
            return
        unavailable = {} if any(d.startswith("cuda") for d in info.devices) else {"cuda": f"no CUDA GPU: torch {info.torch_version} sees none"}
        self.panel.set_devices(list(info.devices), unavailable)

    # -- running ----------------------------------------------------------
    def _when_loaded(self, options: BenchOptions) -> None:
        """A click before the file has loaded waits for the load; it is never dropped."""
        token = self._pending = object()
        if self.runner.loading:
            self.panel.status.setText(f"waiting for {self.runner.document.name()} to load\u2026")
        self.runner.when_loaded(lambda info, problem: self._submit(token, options, info, problem))

    def _submit(self, token, options: BenchOptions, info: FunctionInfo | None, problem: Problem | None) -> None:
        if token is not self._pending:
            return
        self._pending = None
        if info is None:
            self.panel.show_failure(f"not run: {problem.message.splitlines()[0]}" if problem else "not run: the file has not loaded")
            return
        source = self.runner.document.source()
        chosen = tuple(
            OtherFunction(source if path == source.path else Source(path), name)
            for label, (path, name) in self.others().items()
            if label in (options.implementations or ())
        )
        job = self.job = self.runner.submit(BenchRequest(source, info.name, options=options, others=chosen), channel="bench", engine=BENCHMARK)
        job.item.connect(lambda item, j=job: j is self.job and self.panel.add_item(item))
        job.progress.connect(lambda done, total, j=job: j is self.job and self.panel.show_progress(done, total))
        job.result.connect(lambda report, j=job: self._on_report(j, report))
        job.error.connect(lambda problem, j=job: self._on_problem(j, problem))
        job.cancelled.connect(lambda problem, j=job: self._on_problem(j, problem))

    def _on_report(self, job: Job, report: BenchmarkReport) -> None:
        if job is self.job and self.runner.is_current(job):
            self.panel.show_report(report)
            self.panel.status.setText(f"{self.panel.status.text()}\nfor {job.stamp.label()}")

    def _on_problem(self, job: Job, problem: Problem) -> None:
        if job is self.job and self.runner.is_current(job):
            self.panel.show_failure(f"{problem.kind}: {problem.message.splitlines()[0]}")

    # -- keeping in step --------------------------------------------------
    def _on_switched(self, path: str) -> None:
        if self.job is not None and not self.job.is_finished:
            self.job.cancel("another file was opened")
        self.cancel()
        self.job = None
        self.panel.clear(f"{os.path.basename(path)}: not benchmarked yet")

    def _on_function_changed(self, info: FunctionInfo | None) -> None:
        if info is None:
            return
        if self.job is not None and self.job.stamp.function != info.name:
            self.cancel()
            self.job = None
            self.panel.clear(f"{info.name}: not benchmarked yet")
        self.panel.set_function(info, list(self.others()))

    def _on_engine_state(self, engine: str, state: str) -> None:
        if engine == INTERACTIVE and state == "ready":
            self.update_devices()
