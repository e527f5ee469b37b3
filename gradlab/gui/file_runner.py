"""Running the document: load it, pick a Function, and gate every other request behind the load.

A request for the current Function (curves, calls, a check, a benchmark) made
while the file is still loading waits for the load and then runs; if the load
fails, it gets the load's problem.  Nothing is dropped silently, and nothing
computed for another file is delivered.
"""

from __future__ import annotations

import ast
import time
import warnings
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from gradlab.gui.document import Document
from gradlab.gui.session import INTERACTIVE, Job, Session, Stamp
from gradlab.model.requests import LoadRequest
from gradlab.model.results import FileInfo, FunctionInfo, Problem

#: Pause after a keystroke that leaves the text unparsable before it runs anyway, to show the syntax error.
#: Text that parses runs at once (live as you type); a half-typed line does not flash an error per keystroke.
SYNTAX_PAUSE_MS = 700

#: Seconds a load or plot of an older revision may have run before a newer edit stops it.  Shorter jobs
#: finish (most take milliseconds); a longer one is cancelled, which restarts the engine (about 1.6 s here).
SUPERSEDE_AFTER_S = 1.0

#: The channels whose answers a newer revision makes worthless.
STALE_CHANNELS = ("load", "curves", "calls")

#: ``callback(info, problem)``: the current Function once loaded (problem None), or why there is none.
LoadedCallback = Callable[[FunctionInfo | None, Problem | None], None]


class FileRunner(QObject):
    """Loads the document's text on demand (F5, every edit that parses) and knows its Functions.

    Signals
    -------
    switched(str)
        Another file is shown: whatever was shown for the old one must go.
    loaded(object)
        The :class:`FileInfo` of the document's newest load.
    function_changed(object)
        The :class:`FunctionInfo` now current.
    failed(object, object)
        A :class:`Problem` of loading the current file, and the job.
    """

    switched = Signal(str)
    loaded = Signal(object)
    function_changed = Signal(object)
    failed = Signal(object, object)

    def __init__(self, document: Document, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.session = session
        self.info: FileInfo | None = None
        self.function: str | None = None
        self.problem: Problem | None = None  # why the last load failed
        self.loaded_files: dict[str, FileInfo] = {}  # every file loaded this session
        self.awaiting_run = False  # restored text: nothing runs until F5
        self._load_job: Job | None = None
        self._jobs: list[Job] = []  # every job submitted for this window: cancelled when it closes
        self._waiting: list[LoadedCallback] = []
        self._syntax_pause = QTimer(self)
        self._syntax_pause.setSingleShot(True)
        self._syntax_pause.setInterval(SYNTAX_PAUSE_MS)
        self._syntax_pause.timeout.connect(self.run)
        document.opened.connect(self._on_opened)
        document.edited.connect(self._on_edited)

    # -- state ------------------------------------------------------------
    def function_info(self) -> FunctionInfo | None:
        if self.info is None:
            return None
        return next((f for f in self.info.functions if f.name == self.function), None)

    @property
    def loading(self) -> bool:
        """A load of the current file is queued or running."""
        return self._load_job is not None

    def stamp(self, function: str | None = None) -> Stamp:
        """The stamp of a request made now: this file, its current revision, ``function`` (default: the current one)."""
        return Stamp(self.document.path, self.document.revision, function or self.function)

    def is_current(self, job: Job) -> bool:
        """Whether ``job``'s answer is for the file on screen (any revision) and its current Function."""
        return job.stamp.path == self.document.path and (job.stamp.function is None or job.stamp.function == self.function)

    # -- running ----------------------------------------------------------
    def run(self) -> None:
        """Load the editor's text now; requests made meanwhile wait for it."""
        self._syntax_pause.stop()
        if not self.document.path or self.session.closed:
            return
        self.awaiting_run = False
        self._supersede_running()
        job = self._track(self.session.submit(LoadRequest(self.document.source()), self.stamp(None), channel="load"))
        self._load_job = job
        job.result.connect(lambda info, j=job: self._on_loaded(j, info))
        job.error.connect(lambda problem, j=job: self._on_load_failed(j, problem))
        job.cancelled.connect(lambda problem, j=job: self._on_load_failed(j, problem))

    def _supersede_running(self) -> None:
        """Stop a load or plot of an older revision of this file that has run for a while: this run replaces it."""
        job = self.session.running(INTERACTIVE)
        if (
            job is not None
            and job.channel in STALE_CHANNELS
            and job.stamp.path == self.document.path
            and job.stamp.revision < self.document.revision
            and job.started_at is not None
            and time.monotonic() - job.started_at >= SUPERSEDE_AFTER_S
        ):
            job.cancel(f"superseded by revision {self.document.revision}", kind="superseded")

    def wait_for_run(self, problem: Problem) -> None:
        """Restored text: show ``problem`` (why it has not run) and run nothing until F5."""
        self.awaiting_run = True
        self.problem = problem

    def when_loaded(self, callback: LoadedCallback) -> None:
        """Call ``callback`` with the current Function once the file is loaded: now, after the load in flight, or with why not."""
        if self._load_job is not None:
            self._waiting.append(callback)
        elif self.function_info() is not None:
            callback(self.function_info(), None)
        else:
            callback(None, self.problem or Problem("load", f"{self.document.name()} has not run yet", hint="press F5 to run it"))

    def select(self, name: str) -> bool:
        """Make ``name`` the current Function; False if the file has no such Function."""
        if self.info is None or name not in [f.name for f in self.info.functions]:
            return False
        self.function = name
        self.function_changed.emit(self.function_info())
        return True

    def submit(self, request, *, channel: str, engine: str = INTERACTIVE, timeout: float | None = None) -> Job:
        """Submit a request for the current Function, stamped with it."""
        return self._track(self.session.submit(request, self.stamp(getattr(request, "function", None)), channel=channel, engine=engine, timeout=timeout))

    def _track(self, job: Job) -> Job:
        self._jobs = [j for j in self._jobs if not j.is_finished] + [job]
        return job

    # -- answers ----------------------------------------------------------
    def _on_opened(self, path: str) -> None:
        self._syntax_pause.stop()
        if self._load_job is not None:
            self._load_job.cancel("another file was opened")
        self._load_job = None
        self.info, self.function, self.problem, self.awaiting_run = None, None, None, False
        self._flush(None, Problem("load", f"{path}: another file was opened before this one loaded"))
        self.switched.emit(path)

    def _on_edited(self, _revision: int) -> None:
        """Run an edit as soon as its text parses; it supersedes a queued run and a long-running one (:meth:`_supersede_running`)."""
        if self.awaiting_run:  # restored text runs on F5 only, however it is edited first
            return
        if parses(self.document.text()):
            self.run()
        else:
            self._syntax_pause.start()

    def _on_loaded(self, job: Job, info: FileInfo) -> None:
        if job is not self._load_job:
            return  # an older load of this file, or of a file no longer shown
        self._load_job = None
        self.info, self.problem = info, None
        self.loaded_files[job.stamp.path] = info
        names = [f.name for f in info.functions]
        if self.function not in names:
            self.function = names[0]
        self.loaded.emit(info)
        self.function_changed.emit(self.function_info())
        self._flush(self.function_info(), None)

    def _on_load_failed(self, job: Job, problem: Problem) -> None:
        if job is not self._load_job:
            return
        self._load_job = None
        self.problem = problem
        if problem.kind != "superseded":
            self.failed.emit(problem, job)
        # requests that waited for this load: with the last good Functions of this file, or the problem
        info = self.function_info()
        self._flush(info, None if info is not None else problem)

    def _flush(self, info: FunctionInfo | None, problem: Problem | None) -> None:
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback(info, problem)

    def close(self) -> None:
        """Run nothing more, and cancel every job of this window still queued or running (a shared session lives on)."""
        self._syntax_pause.stop()
        self._waiting.clear()
        self._load_job = None
        for job in self._jobs:
            job.abandon("the window closed")
        self._jobs.clear()


def parses(text: str) -> bool:
    """Whether ``text`` is Python that compiles to a syntax tree (no code runs; microseconds for a function file)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an invalid escape in a half-typed string is not the user's concern yet
            ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True
