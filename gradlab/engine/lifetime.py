"""How long engine processes live, client side: start them, kill their whole process group, forget nothing.

Each engine leads its own process group (see :mod:`gradlab.engine.tether`), so
killing the group with the engine also kills whatever the user's code started.
Live engines are recorded here, so a signal handler or the end of the
interpreter can stop every one of them and remove its trace file.

Imports no torch: the GUI and the CLI use this module in their own process.
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import threading
from collections.abc import Callable

# pid (also the process group id) -> (process, trace file) of every engine started and not yet killed.
# No lock: a signal handler reads it in whatever thread state it interrupts; dict operations are atomic.
_live: dict[int, tuple[object, str]] = {}


def kill_group(pid: int) -> None:
    """Send SIGKILL to the process group that engine ``pid`` leads (nothing where there are no groups).

    An engine that has not yet made its own group has no group of that id:
    the call then does nothing, and never reaches the caller's own group.
    """
    if not hasattr(os, "killpg"):
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # gone already, or not (yet) a group


def remove_file(path: str) -> None:
    """Delete ``path`` if it is there."""
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def remember(process, trace_path: str) -> None:
    """Record a started engine (a multiprocessing ``Process``) and its trace file."""
    _live[process.pid] = (process, trace_path)


def forget(pid: int) -> None:
    """Drop an engine that has been killed and reaped."""
    _live.pop(pid, None)


def stop_all_engines() -> None:
    """Kill every live engine's process group and remove its trace file.

    Safe from a signal handler and at interpreter exit; each :class:`Engine`
    still reaps its own process when it is next closed.  An engine found
    dead is not signalled: its group died with it, and its pid may be reused.
    """
    for pid, (process, trace_path) in list(_live.items()):
        if process.exitcode is None:
            kill_group(pid)
        remove_file(trace_path)


atexit.register(stop_all_engines)  # an engine nobody closed dies with its interpreter, trace file and all


class _Launcher:
    """One long-lived thread that starts every engine process.

    Linux's PR_SET_PDEATHSIG, which the engine sets, fires when the *thread*
    that started it ends, not the process: an engine started by a worker
    thread would die with that thread.  This thread lives as long as the process.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._owner = 0  # pid whose thread serves the queue: a forked child needs its own
        self._lock = threading.Lock()

    def call(self, function: Callable[[], object]) -> object:
        """Run ``function()`` in the launcher thread; return its result or raise what it raised."""
        self._ensure_thread()
        done = threading.Event()
        outcome: dict[str, object] = {}
        self._jobs.put((function, outcome, done))
        done.wait()
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._owner != os.getpid():
                self._owner = os.getpid()
                threading.Thread(target=self._serve, name="gradlab-engine-launcher", daemon=True).start()

    def _serve(self) -> None:
        while True:
            function, outcome, done = self._jobs.get()
            try:
                outcome["result"] = function()
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                outcome["error"] = exc
            finally:
                done.set()


_launcher = _Launcher()


def run_in_launcher(function: Callable[[], object]) -> object:
    """Run ``function()`` (which starts an engine process) in the one launcher thread; return what it returns."""
    return _launcher.call(function)
