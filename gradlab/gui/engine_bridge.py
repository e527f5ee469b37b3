"""Run engine requests off the GUI thread and report back with Qt signals.

The engine's ``request`` blocks, so a worker thread sends requests one at a
time and emits ``result_ready`` / ``failed`` (delivered queued to the GUI
thread).  Requests of the same *channel* coalesce: when the user types
faster than the engine answers, only the newest curves request runs.
"""

from __future__ import annotations

import queue
import threading
import traceback

from PySide6.QtCore import QObject, Signal

from gradlab.model.results import Problem
from gradlab.engine import Engine, EngineError


class EngineBridge(QObject):
    """Owns one :class:`Engine` and the thread that talks to it.

    Signals
    -------
    result_ready(str, int, object)
        channel, ticket, result dataclass
    failed(str, int, object)
        channel, ticket, :class:`Problem`
    progress(str, int, int, int)
        channel, ticket, done, total of a long request
    item_ready(str, int, object)
        channel, ticket, a partial result (a benchmark row) as it arrives
    state_changed(str)
        ``"starting"``, ``"ready"``, ``"busy"``, ``"restarted"``, ``"stopped"``
    """

    result_ready = Signal(str, int, object)
    failed = Signal(str, int, object)
    progress = Signal(str, int, int, int)
    item_ready = Signal(str, int, object)
    state_changed = Signal(str)

    def __init__(self, timeout: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = Engine(timeout=timeout, on_state=lambda state: self._emit(self.state_changed, state))
        self._queue: queue.Queue = queue.Queue()
        self._latest: dict[str, int] = {}
        self._floor = 0  # tickets up to this one are stale: they belong to a file no longer shown
        self._ticket = 0
        self._cancel_flags: dict[int, threading.Event] = {}  # per queued or running ticket
        self._running: int | None = None
        self._closing = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="gradlab-engine-bridge", daemon=True)
        self._thread.start()  # it starts the engine: spawning a process is not the GUI thread's work

    def submit(self, channel: str, request, timeout: float | None = None) -> int:
        """Queue ``request`` (``timeout`` overrides the engine's); an older unsent request of the same channel is dropped."""
        flag = threading.Event()
        with self._lock:
            self._ticket += 1
            ticket = self._ticket
            self._latest[channel] = ticket
            self._cancel_flags[ticket] = flag
        self._queue.put((channel, ticket, request, timeout, flag))
        return ticket

    def latest(self, channel: str) -> int:
        """The newest ticket submitted on ``channel`` (0 if none); ``-1`` once :meth:`forget` made it stale."""
        with self._lock:
            ticket = self._latest.get(channel, 0)
            return ticket if ticket > self._floor else -1

    def forget(self) -> None:
        """Make every request submitted so far stale: queued ones never run, answers to running ones are ignored.

        For when the window shows another file: nothing computed for the old one
        may be shown for, or trigger a run of, the new one.
        """
        with self._lock:
            self._floor = self._ticket

    def cancel(self, channel: str | None = None) -> None:
        """Cancel the request running now, or (with ``channel``) that channel's newest request, queued or running.

        A cancelled running request restarts the engine; a queued one never
        starts.  Either way ``failed`` reports it as ``"cancelled"``.
        """
        with self._lock:
            ticket = self._running if channel is None else self._latest.get(channel)
            flag = self._cancel_flags.get(ticket) if ticket is not None else None
            queued = flag is not None and ticket != self._running and not flag.is_set()
            if flag is not None:
                flag.set()
        if queued:  # it will never start: say so now, not when the queue reaches it
            self._emit(self.failed, channel, ticket, Problem("cancelled", "cancelled before it started"))

    def close(self) -> None:
        """Stop the thread and the engine process; wait for both.  Safe to call twice."""
        if self._thread.is_alive():
            with self._lock:
                self._closing = True
                flags = list(self._cancel_flags.values())
            for flag in flags:
                flag.set()
            self._queue.put(None)
            self._thread.join(10)
        self.engine.close()

    def _on_progress(self, channel: str, ticket: int, done: int, total: int, item) -> None:
        if item is not None:
            self._emit(self.item_ready, channel, ticket, item)
        self._emit(self.progress, channel, ticket, done, total)

    def _emit(self, signal, *args) -> bool:
        """Emit from the worker thread; False once the Qt side has been deleted."""
        try:
            signal.emit(*args)
        except RuntimeError:  # the window went away without close(); nobody is listening
            return False
        return True

    def _serve(self) -> None:
        try:
            self.engine.start()
        except Exception as exc:  # noqa: BLE001 - reported with the first request instead
            self._emit(self.state_changed, f"failed to start: {exc}")
        while True:
            item = self._queue.get()
            if item is None or self._closing:
                return
            channel, ticket, request, timeout, flag = item
            with self._lock:
                skip = ticket != self._latest.get(channel) or ticket <= self._floor or flag.is_set()
                self._running = None if skip else ticket
                if skip:
                    self._cancel_flags.pop(ticket, None)
            if skip:
                continue  # superseded, or cancelled (and reported) before it was sent
            try:
                result = self.engine.request(
                    request,
                    timeout=timeout,
                    on_progress=lambda step, c=channel, t=ticket: self._on_progress(c, t, step.done, step.total, step.item),
                    cancel=flag,
                )
            except EngineError as exc:
                delivered = self._emit(self.failed, channel, ticket, exc.problem)
            except Exception as exc:  # noqa: BLE001 - a worker never dies silently
                problem = Problem("internal", f"gradlab failed: {type(exc).__name__}: {exc}", traceback="".join(traceback.format_exception(exc)))
                delivered = self._emit(self.failed, channel, ticket, problem)
            else:
                delivered = self._emit(self.result_ready, channel, ticket, result)
            finally:
                with self._lock:
                    self._running = None
                    self._cancel_flags.pop(ticket, None)
            if not delivered:
                return
