"""Long work whose steps happen inside a call that cannot pause to yield (gradcheck): run the call in a thread.

A generator cannot yield from inside ``torch.autograd.gradcheck``; the call
reports its steps through a callback instead, and :func:`work_in_thread`
turns those reports into the :class:`~gradlab.model.progress.Progress` steps
of ordinary long work.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TypeVar

from gradlab.model.progress import Progress, Work

T = TypeVar("T")

#: ``report(done, total)``: how a call running in the background reports a step.
Report = Callable[[int, int], None]

_END = object()


class Stopped(BaseException):
    """Raised by ``report`` once the consumer has closed the work: the call ends at its next step.

    A ``BaseException``, like ``KeyboardInterrupt``, so that the call's own
    ``except Exception`` (a check turning an error into a verdict) does not
    swallow it.
    """


def work_in_thread(call: Callable[[Report], T], name: str = "gradlab-work") -> Work[T]:
    """Run ``call(report)`` in a thread, as long work: one :class:`Progress` per report, then its result.

    Parameters
    ----------
    call : callable
        ``call(report) -> result``; it calls ``report(done, total)`` at each step.
    name : str
        The thread's name, as faulthandler dumps show it.

    Yields
    ------
    Progress
        ``Progress(done, total)`` for each report, in order.

    Returns
    -------
    object
        What ``call`` returned; what it raised is raised here.

    Notes
    -----
    The consumer runs while the call does, so process-wide redirections the
    call makes (``sys.stdout``, the warnings filters) apply to the consumer
    too.  Closing the generator makes the call's next ``report`` raise
    :class:`Stopped`, and waits for the thread to end.
    """
    steps: queue.SimpleQueue = queue.SimpleQueue()
    stopping = threading.Event()
    outcome: dict[str, object] = {}

    def report(done: int, total: int) -> None:
        if stopping.is_set():
            raise Stopped
        steps.put(Progress(done, total))

    def run() -> None:
        try:
            outcome["result"] = call(report)
        except BaseException as exc:  # noqa: BLE001 - raised again in the consumer's thread
            outcome["error"] = exc
        finally:
            steps.put(_END)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        while (step := steps.get()) is not _END:
            yield step
    finally:
        stopping.set()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
