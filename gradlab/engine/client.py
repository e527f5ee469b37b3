"""The client side of an engine process: start it, send requests, time out, cancel, restart.

Every way an engine ends (close, restart, timeout, cancel, crash) kills its
whole process group, and with it whatever the user's code started; the
engine also dies with this process (:mod:`gradlab.engine.tether`).

Imports no torch: the GUI and the CLI use this module in their own process.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable

from gradlab.engine import lifetime
from gradlab.engine.worker import WHEREABOUTS
from gradlab.model.progress import Progress
from gradlab.model.results import Location, Problem

#: Seconds a request may run before the engine is stopped and restarted.
DEFAULT_TIMEOUT = 30.0
#: Seconds the engine may take to start (it imports torch).
STARTUP_TIMEOUT = 120.0
_POLL = 0.05
_TRACE_LINE = re.compile(r'File "(?P<file>.*)", line (?P<line>\d+) in (?P<func>\S+)')


class EngineError(Exception):
    """A request that did not produce a result; ``problem`` says why and where."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def user_location(trace: str, filename: str | None) -> Location | None:
    """The most recent frame in ``filename`` of a faulthandler dump (most recent call first)."""
    if not filename:
        return None
    for match in _TRACE_LINE.finditer(trace):
        if _same_file(match["file"], filename):
            return Location(filename, int(match["line"]))
    return None


def last_entered(trace: str) -> str | None:
    """The user file the engine said it was entering last (:mod:`gradlab.core.whereabouts`); None if several or none."""
    entered = [line[len(WHEREABOUTS):].strip() for line in trace.splitlines() if line.startswith(WHEREABOUTS)]
    return entered[-1] or None if entered else None


def _relevant_trace(trace: str) -> str:
    """A faulthandler dump without the frames of gradlab's engine and multiprocessing."""
    skip = (f"{os.sep}gradlab{os.sep}", f"{os.sep}multiprocessing{os.sep}", '"<string>"')
    kept = [line for line in trace.strip().splitlines() if not line.startswith(WHEREABOUTS) and not (line.lstrip().startswith("File ") and any(s in line for s in skip))]
    return "\n".join(line for line in kept if not line.startswith("Extension modules")).strip()


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None or exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"


@contextlib.contextmanager
def _main_module_hidden():
    """Keep spawn from re-running the parent's ``__main__`` in the engine.

    The engine needs only :func:`gradlab.engine.worker.serve`; re-importing the
    caller's script would cost start-up time (a GUI script imports Qt) and
    would run scripts that lack an ``if __name__ == "__main__"`` guard.
    """
    main = sys.modules.get("__main__")
    saved = {key: main.__dict__.pop(key) for key in ("__file__", "__spec__") if main is not None and key in main.__dict__}
    if main is not None and "__spec__" in saved:
        main.__spec__ = None
    try:
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)


class Engine:
    """One engine process, used by one thread at a time; ``cancel`` may come from any thread.

    Parameters
    ----------
    timeout : float
        Default per-request timeout in seconds.
    on_state : callable, optional
        Called with ``"starting"``, ``"ready"``, ``"busy"``, ``"restarted"``
        or ``"stopped"`` as the state changes (from the requesting thread).
    memory_share : float
        This engine's part of the memory budget (:mod:`gradlab.engine.memory`): 1 for
        a client with one engine, 1/2 each for the window's two.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, on_state: Callable[[str], None] | None = None, memory_share: float = 1.0) -> None:
        self.timeout = timeout
        self.memory_share = memory_share
        self.info = None
        self._on_state = on_state or (lambda state: None)
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._conn = None
        self._trace_path = ""
        self._ready = False
        self._ids = itertools.count(1)
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self.closing = False  # set (from any thread) before close(): a stopped request then restarts nothing

    # -- lifecycle -------------------------------------------------------
    def start(self) -> None:
        """Start the process without waiting for it to import torch (never once :attr:`closing` is set)."""
        if self.closing or (self._process is not None and self._process.is_alive()):
            return
        from gradlab.engine.worker import serve

        handle, trace_path = tempfile.mkstemp(prefix="gradlab-engine-", suffix=".trace")
        os.close(handle)
        parent, child = self._context.Pipe()
        process = self._context.Process(target=serve, args=(child, trace_path, os.getpid(), self.memory_share), daemon=True, name="gradlab-engine")

        def spawn() -> None:
            with _main_module_hidden():
                process.start()
            lifetime.remember(process, trace_path)

        try:
            lifetime.run_in_launcher(spawn)
        except BaseException:
            parent.close()
            lifetime.remove_file(trace_path)
            raise
        finally:
            child.close()
        self._process, self._conn, self._trace_path = process, parent, trace_path
        self._ready = False
        self._on_state("starting")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _kill(self) -> str:
        """Stop the process and every process its user code started; return its faulthandler trace."""
        process, self._process = self._process, None
        if process is not None:
            lifetime.kill_group(process.pid)
            if process.is_alive():
                process.kill()  # it had not made its group yet
            process.join(5)
            lifetime.forget(process.pid)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        trace = ""
        if self._trace_path:
            try:
                with open(self._trace_path, encoding="utf-8", errors="replace") as handle:
                    trace = handle.read()
            except OSError:
                pass
            lifetime.remove_file(self._trace_path)
            self._trace_path = ""
        return trace

    def restart(self) -> None:
        """Kill the process and start a fresh one."""
        self._kill()
        self.start()
        self._on_state("restarted")

    def close(self, graceful: bool = True) -> None:
        """Stop the process and its group (a later request starts a new one).

        ``graceful`` first asks the engine to end and waits up to 2 s; without
        it the group is killed at once (an exception or a signal is on its way).
        """
        if graceful and self._conn is not None and self.is_alive():
            try:
                self._conn.send(None)
                self._process.join(2)
            except OSError:
                pass
        self._kill()
        self._on_state("stopped")

    def cancel(self) -> None:
        """Stop the running request (the process is restarted); safe from any thread."""
        self._cancel.set()

    def wait_until_ready(self) -> None:
        """Start the process if needed and wait until it has imported torch (sets :attr:`info`; EngineError if it cannot)."""
        with self._lock:
            if self.closing:
                return
            self.start()
            self._wait_ready(threading.Event())

    # -- requests --------------------------------------------------------
    def _wait_ready(self, cancelled: threading.Event) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._ready:
            try:
                message = self._conn.recv() if self._conn.poll(_POLL) else None
            except (EOFError, OSError):
                message = None
                self._process.join(1)
            if message is not None:
                tag, info = message
                if tag == "ready":
                    self.info, self._ready = info, True
                    self._on_state("ready")
            elif not self._process.is_alive():
                exitcode = self._process.exitcode
                trace = self._kill()
                raise EngineError(Problem("crash", f"the engine process failed to start ({_signal_name(exitcode)})", detail=trace))
            elif cancelled.is_set() or self.closing:
                cancelled.clear()
                raise EngineError(Problem("cancelled", "cancelled while the engine was starting"))
            elif time.monotonic() > deadline:
                self._kill()
                raise EngineError(Problem("timeout", f"the engine did not start within {STARTUP_TIMEOUT:.0f} s"))

    def request(
        self,
        request,
        timeout: float | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
    ):
        """Send ``request`` and wait for its result.

        ``on_progress(progress)`` hears long requests' :class:`~gradlab.model.progress.Progress`; its
        ``item`` is a partial result (a benchmark row) or None.  ``cancel``, when given, is this request's own
        cancel flag: setting it — even before the request starts — cancels this
        request and no other.  Without it, :meth:`cancel` stops whatever runs.

        Raises
        ------
        EngineError
            With a :class:`Problem`: the user's code raised (kind from the
            core), it ran past ``timeout`` (``"timeout"``), its process died
            (``"crash"``), or :meth:`cancel` was called (``"cancelled"``).  After
            a timeout, crash or cancel the process has been restarted.
        """
        timeout = self.timeout if timeout is None else timeout
        cancelled = self._cancel if cancel is None else cancel
        with self._lock:
            if self.closing:
                raise EngineError(Problem("cancelled", "the engine is closing"))
            if cancel is None:
                self._cancel.clear()  # a Stop pressed while nothing ran is not for this request
            if cancelled.is_set():
                raise EngineError(Problem("cancelled", "cancelled before it started"))
            self.start()
            self._wait_ready(cancelled)
            request_id = next(self._ids)
            self._conn.send((request_id, request))
            self._on_state("busy")
            deadline = time.monotonic() + timeout
            filename = getattr(getattr(request, "source", None), "path", None)
            while True:
                try:
                    has_reply = self._conn.poll(_POLL)
                    reply = self._conn.recv() if has_reply else None
                except (EOFError, OSError):
                    has_reply, reply = False, None
                if reply is not None:
                    reply_id, status, value = reply
                    if reply_id != request_id:
                        continue  # a late answer to a request that was given up on
                    if status == "progress":
                        if on_progress is not None:
                            on_progress(value)
                        continue
                    self._on_state("ready")
                    if status == "ok":
                        return value
                    raise EngineError(value)
                if not self._process.is_alive():
                    raise EngineError(self._after_crash(request, filename))
                if cancelled.is_set():
                    cancelled.clear()
                    raise EngineError(self._stop_stuck(request, filename, "cancelled", "was cancelled"))
                if time.monotonic() > deadline:
                    raise EngineError(self._stop_stuck(request, filename, "timeout", f"did not finish within {timeout:g} s"))

    def _after_crash(self, request, filename: str | None) -> Problem:
        exitcode = self._process.exitcode
        trace = self._kill()
        location = user_location(trace, filename)
        hint = "the code killed its Python interpreter (os.abort, a segfault in native code, running out of memory)"
        if location:
            where = f"{location}: "
        elif _TRACE_LINE.search(trace) or not getattr(request, "others", ()):
            where = f"{filename}: " if filename else ""
        else:  # died without a stack dump (os._exit, the OOM killer): the last file entered is the best witness
            entered = last_entered(trace)
            where = f"{entered}: " if entered else ""
            if not entered:
                hint = "it left no stack dump, and several files' code was running interleaved, so which file did it is unknown; bench them one at a time"
        self._restart_unless_closing()
        return Problem(
            "crash",
            f"{where}the engine process died ({_signal_name(exitcode)}) while {request.describe()}; it has been restarted",
            location=location,
            detail=_relevant_trace(trace),
            hint=hint,
        )

    def _stop_stuck(self, request, filename: str | None, kind: str, what: str) -> Problem:
        if hasattr(signal, "SIGUSR1") and self.is_alive():
            os.kill(self._process.pid, signal.SIGUSR1)  # faulthandler dumps the stacks
            time.sleep(0.2)
        trace = self._kill()
        location = user_location(trace, filename)
        where = f"{location}: " if location else (f"{filename}: " if filename else "")
        self._restart_unless_closing()
        hint = "look for a loop that never ends at that line" if kind == "timeout" and location else ""
        return Problem(kind, f"{where}{request.describe()} {what}; the engine was restarted", location=location, detail=_relevant_trace(trace), hint=hint)

    def _restart_unless_closing(self) -> None:
        if not self.closing:
            self.start()
            self._on_state("restarted")

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(graceful=exc_type is None)
