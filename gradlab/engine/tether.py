"""How long an engine process lives, engine side: its own process group, and death with its parent.

:func:`tether` runs first thing in the engine, before any user code:

- ``os.setsid()`` makes the engine lead a new session and process group.
  Whatever user code starts joins the group, so the client kills it all with
  one ``killpg``; and the terminal's Ctrl+C reaches the CLI, not the engine.
- On Linux, ``PR_SET_PDEATHSIG`` has the kernel SIGKILL the engine the moment
  its parent dies, whatever the engine is doing (even stuck in C code).
- That signal kills the engine alone, so a *guardian*, a small process forked
  into the group before user code runs, waits for the engine or the parent to
  die and then kills the whole group.  When the parent died, it also removes
  the engine's trace file, which nobody else is left to remove.
- Where there is no fork, a watcher thread in the engine ends it when the
  parent dies: the portable fallback.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import sys
import threading

from gradlab.engine.lifetime import remove_file

#: prctl(2) option: the signal the kernel sends this process when its parent dies.
PR_SET_PDEATHSIG = 1
#: Seconds between two looks at the parent, where no pipe tells at once.
WATCH_INTERVAL = 0.5

_lifeline: int | None = None  # write end the engine holds while it lives; EOF tells the guardian it died


def tether(parent_pid: int, trace_path: str) -> None:
    """Bind this engine process's life, and its process group's, to the client ``parent_pid``.

    Parameters
    ----------
    parent_pid : int
        The client's pid, as the client saw it when it started this process.
    trace_path : str
        The faulthandler trace file, removed when the parent dies first.
    """
    leads_group = _lead_own_group()
    _die_with_parent(parent_pid, trace_path)
    if leads_group and hasattr(os, "fork"):
        _start_guardian(parent_pid, trace_path)
    else:  # only here: a thread of ours would show in every stack dump of the user's code
        watcher = threading.Thread(target=watch_parent, args=(parent_pid, trace_path, leads_group), name="gradlab-parent-watcher")
        watcher.daemon = True
        watcher.start()


def _lead_own_group() -> bool:
    """Start a session and process group of our own; True when this process leads its group."""
    if not hasattr(os, "setsid"):
        return False
    try:
        os.setsid()
    except OSError:  # already leads a group
        pass
    return os.getpgid(0) == os.getpid()


def _die_with_parent(parent_pid: int, trace_path: str) -> None:
    """Ask Linux for SIGKILL when the parent dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # it died before the prctl: no signal will come
        remove_file(trace_path)
        os._exit(1)


def _parent_sentinel() -> int | None:
    """A handle that becomes ready when the parent dies (multiprocessing's own pipe), or None."""
    parent = multiprocessing.parent_process()
    return parent.sentinel if parent is not None else None


def _parent_alive(parent_pid: int, sentinel: int | None, wait: float) -> bool:
    """False once the parent is gone; waits up to ``wait`` seconds for that to happen."""
    if sentinel is not None:
        from multiprocessing.connection import wait as wait_for

        if wait_for([sentinel], timeout=wait):
            return False
    elif wait:
        threading.Event().wait(wait)
    return os.getppid() == parent_pid


def _kill_own_group() -> None:
    os.killpg(os.getpid(), signal.SIGKILL)


def watch_parent(parent_pid: int, trace_path: str, leads_group: bool) -> None:
    """The watcher thread's loop: once the parent is gone, remove the trace file and end the group (or the process).

    Parameters
    ----------
    parent_pid : int
        The parent to watch.
    trace_path : str
        The file to remove.
    leads_group : bool
        Whether this process leads its process group, which then dies with it.
    """
    sentinel = _parent_sentinel()
    while _parent_alive(parent_pid, sentinel, WATCH_INTERVAL):
        pass
    remove_file(trace_path)
    if leads_group:
        _kill_own_group()
    os._exit(1)


# -- the guardian -----------------------------------------------------------
def _start_guardian(parent_pid: int, trace_path: str) -> None:
    """Fork the guardian into this process group; keep the pipe end whose closing tells it the engine died."""
    global _lifeline
    sentinel = _parent_sentinel()
    engine_end, _lifeline = os.pipe()
    group = os.getpid()
    if os.fork() == 0:
        try:
            _close_fds_except({engine_end, sentinel})
            _guard(group, engine_end, sentinel, parent_pid, trace_path)
        finally:
            os._exit(0)
    os.close(engine_end)


def _guard(group: int, engine_end: int, sentinel: int | None, parent_pid: int, trace_path: str) -> None:
    """Wait until the engine or its parent dies, then kill the group (this process too)."""
    watched = [fd for fd in (engine_end, sentinel) if fd is not None]
    while True:
        ready, _, _ = select.select(watched, [], [], WATCH_INTERVAL)
        if (sentinel is not None and sentinel in ready) or not _exists(parent_pid):
            remove_file(trace_path)  # the parent is gone: nobody else will
            break
        if engine_end in ready:
            break  # the engine died; the client, alive, reads and removes the trace
    os.killpg(group, signal.SIGKILL)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _close_fds_except(keep: set) -> None:
    """Close every descriptor but ``keep``: the guardian holds no pipe open that others wait on."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd")]
    except OSError:
        fds = list(range(1024))
    for fd in fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
