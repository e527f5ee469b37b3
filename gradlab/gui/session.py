"""The engines of one window, and the jobs they run.

:meth:`Session.submit` returns a :class:`Job`: one request, stamped with the
file, revision and Function it is for, with its own signals (the
superqt/napari worker pattern).  A job always ends in exactly one of
``result``, ``error`` or ``cancelled``, then ``finished``: nothing is dropped
silently.  Two engine processes serve a session: ``"interactive"`` (load,
curves, calls, checks) and ``"benchmark"`` (started on first use or when idle),
so the editor and plots stay live while a benchmark runs.
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
import time
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from gradlab.engine import Engine, EngineError
from gradlab.model.results import Problem

INTERACTIVE, BENCHMARK = "interactive", "benchmark"
#: Seconds a whole benchmark sweep may run before it is stopped.
BENCHMARK_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Stamp:
    """What a job's answer belongs to: a file, a revision of its text, a Function."""

    path: str | None
    revision: int
    function: str | None = None

    def label(self) -> str:
        """``file.py · Function · revision N``: shown beside every answer."""
        parts = [os.path.basename(self.path) if self.path else "untitled"]
        if self.function:
            parts.append(self.function)
        parts.append(f"revision {self.revision}")
        return " \u00b7 ".join(parts)


class Job(QObject):
    """One request to an engine.  Its signals are emitted on the GUI thread.

    Signals
    -------
    progress(int, int)
        done, total of a long request.
    item(object)
        A partial result as it arrives (a benchmark row).
    result(object)
        The answer.
    error(object)
        A :class:`Problem`: the user's code failed, timed out or crashed the engine.
    cancelled(object)
        A :class:`Problem` saying why: cancelled by the user, superseded by a newer
        job of the same channel, or the session closed.
    finished()
        After exactly one of ``result``, ``error`` or ``cancelled``.
    """

    progress = Signal(int, int)
    item = Signal(object)
    result = Signal(object)
    error = Signal(object)
    cancelled = Signal(object)
    finished = Signal()

    def __init__(self, request, stamp: Stamp, channel: str, engine: str, timeout: float | None) -> None:
        super().__init__()
        self.request = request
        self.stamp = stamp
        self.channel = channel
        self.engine = engine
        self.timeout = timeout
        self.state = "queued"  # queued, running, done, failed, cancelled
        self.started_at: float | None = None  # time.monotonic() when the engine began it
        self.answer = None  # the result, or the Problem of an error or cancel
        self._flag = threading.Event()
        self._lane: _Lane | None = None
        self._why, self._kind = "cancelled", "cancelled"

    def cancel(self, why: str = "cancelled", kind: str = "cancelled") -> None:
        """Stop this job: a queued one never starts; a running one restarts its engine.

        ``kind`` is the kind of the :class:`Problem` it ends with: ``"superseded"``
        when a newer job of its channel replaced it.
        """
        if self.is_finished:
            return
        self._why, self._kind = why, kind
        self._flag.set()
        if self._lane is not None:
            self._lane.cancelled_while_queued(self)

    def abandon(self, why: str) -> None:
        """Stop this job and emit nothing more: whoever listened is going away (a closing window)."""
        if not self.is_finished:
            self.state, self.answer = "cancelled", Problem("cancelled", f"{self.request.describe()}: {why}")
            self._flag.set()

    @property
    def is_finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def _end(self, state: str, answer) -> None:
        """Deliver the end (GUI thread); a job ends once."""
        if self.is_finished:
            return
        self.state, self.answer = state, answer
        {"done": self.result, "failed": self.error, "cancelled": self.cancelled}[state].emit(answer)
        self.finished.emit()


class _Lane(QObject):
    """One engine process and the thread that feeds it jobs, one at a time.

    Jobs of one channel coalesce: a newer job supersedes an older one still
    queued (typing faster than the engine answers runs only the newest curves).
    """

    # (job, kind, payload) from the worker thread; a queued connection brings it to the GUI thread
    _event = Signal(object, str, object)
    state_changed = Signal(str)

    def __init__(self, timeout: float, parent: QObject) -> None:
        super().__init__(parent)
        # the window's two engines share one memory budget: neither may take the machine from the other
        self.engine = Engine(timeout=timeout, on_state=lambda state: self._emit(self.state_changed, state), memory_share=0.5)
        self._queue: queue.Queue = queue.Queue()
        self._latest: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._closing = False
        self._running: Job | None = None
        self._event.connect(self._deliver)
        self._thread = threading.Thread(target=self._serve, name="gradlab-engine-lane", daemon=True)
        self._thread.start()  # it starts the engine: spawning a process is not the GUI thread's work

    def put(self, job: Job) -> None:
        job._lane = self
        with self._lock:
            older = self._latest.get(job.channel)
            self._latest[job.channel] = job
        if older is not None and older.state == "queued":
            older.cancel("superseded by a newer request", kind="superseded")
        self._queue.put(job)

    def cancelled_while_queued(self, job: Job) -> None:
        if job.state == "queued":  # it will never start: say so now, not when the queue reaches it
            job._end("cancelled", Problem(job._kind, f"{job.request.describe()}: {job._why} before it started"))

    def running(self) -> Job | None:
        with self._lock:
            return self._running

    def close(self) -> None:
        """Stop the thread and the engine process; wait for both.  Safe to call twice."""
        self._closing = True
        self.engine.closing = True
        while True:  # jobs still queued will never run
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            job._flag.set()
        running = self.running()
        if running is not None:
            running._flag.set()
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(10)
        self.engine.close()

    @Slot(object, str, object)
    def _deliver(self, job: Job, kind: str, payload) -> None:
        if job.is_finished:
            return  # cancelled meanwhile: it said so then
        if kind == "running":
            if job.state == "queued":
                job.state = "running"
        elif kind == "progress":
            if payload.item is not None:
                job.item.emit(payload.item)
            job.progress.emit(payload.done, payload.total)
        else:
            job._end(kind, payload)

    def _emit(self, signal, *args) -> bool:
        """Emit from the worker thread; False once the Qt side has been deleted."""
        try:
            signal.emit(*args)
        except RuntimeError:  # the window went away without close(); nobody is listening
            return False
        return True

    def _serve(self) -> None:
        try:
            self.engine.wait_until_ready()  # torch is imported now, not when the first request comes
        except Exception as exc:  # noqa: BLE001 - reported with the first request instead
            if not self._closing:
                self._emit(self.state_changed, f"failed to start: {exc}")
        while True:
            job = self._queue.get()
            if job is None or self._closing:
                return
            if job._flag.is_set():
                continue  # cancelled (and reported) before it was sent
            with self._lock:
                self._running = job
                job.started_at = time.monotonic()
            self._emit(self._event, job, "running", None)
            try:
                value = self.engine.request(
                    job.request,
                    timeout=job.timeout,
                    on_progress=lambda step, j=job: self._emit(self._event, j, "progress", step),
                    cancel=job._flag,
                )
                kind = "done"
            except EngineError as exc:
                value, kind = exc.problem, ("cancelled" if exc.problem.kind == "cancelled" else "failed")
                if kind == "cancelled" and job._kind != "cancelled":  # superseded while it ran: say so, not "cancelled"
                    value = dataclasses.replace(value, kind=job._kind, message=f"{job.request.describe()}: {job._why}")
            except Exception as exc:  # noqa: BLE001 - a worker never dies silently
                value, kind = Problem("internal", f"gradlab failed: {type(exc).__name__}: {exc}", traceback="".join(traceback.format_exception(exc))), "failed"
            finally:
                with self._lock:
                    self._running = None
            if not self._emit(self._event, job, kind, value):
                return


class Session(QObject):
    """The engines of one window, and the jobs submitted to them.

    Parameters
    ----------
    timeout : float
        Default seconds one interactive request may run.
    bench_timeout : float
        Seconds a benchmark may run.

    Signals
    -------
    state_changed(str, str)
        engine (``"interactive"`` or ``"benchmark"``), state (``"starting"``,
        ``"ready"``, ``"busy"``, ``"restarted"``, ``"stopped"``).
    job_finished(object)
        A :class:`Job` ended (its ``state`` and ``answer`` say how).
    """

    state_changed = Signal(str, str)
    job_finished = Signal(object)

    def __init__(self, timeout: float = 10.0, bench_timeout: float = BENCHMARK_TIMEOUT, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timeouts = {INTERACTIVE: timeout, BENCHMARK: bench_timeout}
        self._lanes: dict[str, _Lane] = {}
        self.closed = False
        self._lane(INTERACTIVE)  # the interactive engine imports torch while the window comes up

    def _lane(self, engine: str) -> _Lane:
        lane = self._lanes.get(engine)
        if lane is None:
            lane = self._lanes[engine] = _Lane(self._timeouts[engine], self)
            lane.state_changed.connect(lambda state, e=engine: self.state_changed.emit(e, state))
        return lane

    def engine(self, engine: str = INTERACTIVE) -> Engine | None:
        """The :class:`Engine` of ``engine``, or None before it was first used."""
        lane = self._lanes.get(engine)
        return lane.engine if lane is not None else None

    def has_engine(self, engine: str) -> bool:
        return engine in self._lanes

    def submit(self, request, stamp: Stamp, *, channel: str | None = None, engine: str = INTERACTIVE, timeout: float | None = None) -> Job:
        """Queue ``request`` for ``engine``; a newer job of the same ``channel`` supersedes a queued older one.

        After :meth:`close`, the job is cancelled at once (it says so).
        """
        job = Job(request, stamp, channel or type(request).__name__, engine, timeout)
        job.finished.connect(lambda j=job: self.job_finished.emit(j))
        if self.closed:
            job._end("cancelled", Problem("cancelled", f"{request.describe()}: the window is closing"))
            return job
        self._lane(engine).put(job)
        return job

    def start(self, engine: str) -> None:
        """Start ``engine``'s process now (idempotent), so a first request need not wait for torch."""
        if not self.closed:
            self._lane(engine)

    def running(self, engine: str = INTERACTIVE) -> Job | None:
        """The job ``engine`` runs now, or None."""
        lane = self._lanes.get(engine)
        return lane.running() if lane is not None else None

    def stop(self, engine: str = INTERACTIVE) -> None:
        """Cancel the job ``engine`` runs now (Run › Stop); its process restarts."""
        lane = self._lanes.get(engine)
        job = lane.running() if lane is not None else None
        if job is not None:
            job.cancel()

    def close(self) -> None:
        """Stop every job, thread and process, and start none after.  Safe to call twice."""
        self.closed = True
        for lane in self._lanes.values():
            lane.close()
