"""The engine process's main loop: receive a request, answer it, repeat.

``faulthandler`` writes every thread's stack to a trace file when the process
crashes, and on SIGUSR1 (POSIX) when the client is about to stop a stuck
request, so the client can say where the user's code was.  Before anything
else, :func:`~gradlab.engine.tether.tether` puts the process in a process
group of its own and binds its life to the client's.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable

from gradlab.engine.memory import engine_memory_limit
from gradlab.engine.tether import tether
from gradlab.model.progress import Progress

#: Seconds between two progress messages of one request.
PROGRESS_INTERVAL = 0.1


def _progress_sender(conn, request_id: int) -> Callable[[Progress], None]:
    """An ``on_progress(step)`` callback that sends steps to the client.

    Every step that carries an item is sent, and the one that reaches the
    total; others at most once per :data:`PROGRESS_INTERVAL`.
    """
    last = {"time": 0.0, "done": -1}

    def send(step: Progress) -> None:
        now = time.monotonic()
        finished = step.done >= step.total and last["done"] < step.total
        due = now - last["time"] >= PROGRESS_INTERVAL and step.done != last["done"]
        if step.item is not None or due or finished:
            last["time"], last["done"] = now, step.done
            conn.send((request_id, "progress", step))

    return send


def _limit_memory(share: float) -> None:
    """Cap the engine's heap so a runaway allocation fails in user code instead of swapping the machine to death.

    RLIMIT_DATA covers malloc'd and anonymous memory (torch's CPU tensors).  On a
    machine with CUDA it is left off: the CUDA driver maps large private regions.
    """
    try:
        import resource
    except ImportError:  # not POSIX
        return
    limit = engine_memory_limit(share)
    if limit is None:
        return
    import torch

    if torch.cuda.is_available():
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


#: A trace-file line naming the user file that runs next (see :mod:`gradlab.core.whereabouts`).
WHEREABOUTS = "gradlab-entering: "


def serve(conn, trace_path: str, parent_pid: int, memory_share: float = 1.0) -> None:
    """Serve requests from ``conn`` until it closes or a ``None`` request arrives.

    Parameters
    ----------
    conn : multiprocessing.connection.Connection
        The pipe to the client.
    trace_path : str
        Where faulthandler writes stack dumps.
    parent_pid : int
        The client's pid: this process, and all that user code starts, dies with it.
    """
    tether(parent_pid, trace_path)  # before any user code: its processes join the engine's group
    trace_file = open(trace_path, "w")  # noqa: SIM115 - lives as long as the process
    faulthandler.enable(file=trace_file, all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=trace_file, all_threads=True)
    # Output that escapes capture (C extensions, stray prints) goes to stderr,
    # never to the parent's stdout, where `gradlab check --json` writes.
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from gradlab.core.whereabouts import listen
    from gradlab.engine.handlers import engine_info, handle

    def mark(path: str | None) -> None:
        trace_file.write(f"{WHEREABOUTS}{path or ''}\n")
        trace_file.flush()

    listen(mark)
    from gradlab.model.problems import UserCodeError
    from gradlab.model.results import Problem

    _limit_memory(memory_share)

    try:
        conn.send(("ready", engine_info()))
    except OSError:  # the client went away while torch was importing
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        request_id, request = message
        try:
            reply = (request_id, "ok", handle(request, _progress_sender(conn, request_id)))
        except UserCodeError as exc:
            reply = (request_id, "problem", exc.problem)
        except Exception as exc:  # noqa: BLE001 - report, never die silently
            reply = (
                request_id,
                "problem",
                Problem(
                    "internal",
                    f"gradlab failed while {request.describe()}: {type(exc).__name__}: {exc}",
                    detail=str(exc),
                    traceback="".join(traceback.format_exception(exc)),
                ),
            )
        try:
            conn.send(reply)
        except OSError:  # the client is gone
            return
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
            conn.send((request_id, "problem", Problem("internal", f"gradlab could not send its answer: {exc}")))
