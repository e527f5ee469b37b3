"""Reading a function file without freezing the window: off the GUI thread, with a time limit.

A regular file on a hung network mount can block ``read()`` for minutes; the
window waits at most :data:`READ_TIMEOUT_S` and then says so.  (FIFOs and devices
are refused before anything is opened: :func:`gradlab.model.source_text.read_source`.)
"""

from __future__ import annotations

import threading

from gradlab.model.problems import UserCodeError
from gradlab.model.results import Problem
from gradlab.model.source_text import read_source

#: Seconds the window waits for a file's text.
READ_TIMEOUT_S = 5.0


def read_source_in_time(path: str, timeout: float | None = None) -> str:
    """``read_source(path)`` in a daemon thread; UserCodeError when it fails or takes longer than ``timeout``."""
    outcome: dict = {}

    def read() -> None:
        try:
            outcome["text"] = read_source(path)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc

    reader = threading.Thread(target=read, name="gradlab-file-reader", daemon=True)  # a hung read keeps only this thread
    reader.start()
    reader.join(READ_TIMEOUT_S if timeout is None else timeout)
    if reader.is_alive():
        seconds = READ_TIMEOUT_S if timeout is None else timeout
        raise UserCodeError(Problem("load", f"{path}: cannot read the file: no answer within {seconds:g} s (a hung network drive?)"))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["text"]
