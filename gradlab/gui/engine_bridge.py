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

from gradlab.core.results import Problem
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
        self._ticket = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="gradlab-engine-bridge", daemon=True)
        self._thread.start()  # it starts the engine: spawning a process is not the GUI thread's work

    def submit(self, channel: str, request, timeout: float | None = None) -> int:
        """Queue ``request`` (``timeout`` overrides the engine's); an older unsent request of the same channel is dropped."""
        with self._lock:
            self._ticket += 1
            ticket = self._ticket
            self._latest[channel] = ticket
        self._queue.put((channel, ticket, request, timeout))
        return ticket

    def latest(self, channel: str) -> int:
        """The newest ticket submitted on ``channel`` (0 if none)."""
        with self._lock:
            return self._latest.get(channel, 0)

    def cancel(self) -> None:
        """Stop the request that is running now (the engine restarts)."""
        self.engine.cancel()

    def close(self) -> None:
        """Stop the thread and the engine process; wait for both.  Safe to call twice."""
        if self._thread.is_alive():
            self._queue.put(None)
            self.engine.cancel()
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
            if item is None:
                return
            channel, ticket, request, timeout = item
            if ticket != self.latest(channel):
                continue  # superseded before it was sent
            try:
                result = self.engine.request(request, timeout=timeout, on_progress=lambda done, total, item, c=channel, t=ticket: self._on_progress(c, t, done, total, item))
            except EngineError as exc:
                delivered = self._emit(self.failed, channel, ticket, exc.problem)
            except Exception as exc:  # noqa: BLE001 - a worker never dies silently
                problem = Problem("internal", f"gradlab failed: {type(exc).__name__}: {exc}", traceback="".join(traceback.format_exception(exc)))
                delivered = self._emit(self.failed, channel, ticket, problem)
            else:
                delivered = self._emit(self.result_ready, channel, ticket, result)
            if not delivered:
                return
