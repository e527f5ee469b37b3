"""Which user file the engine is running, for the one case a stack dump cannot tell: a process that dies without one.

``os._exit`` in user code, or the kernel's OOM killer, ends the engine without
a faulthandler dump.  Before running code from a file the core calls
:func:`entering`; the engine points :func:`listen` at its trace file, so the
client can read the last file entered after a silent death.  ``None`` means
code from several files runs interleaved (timing), so nobody can be named.
"""

from __future__ import annotations

from collections.abc import Callable

_listener: Callable[[str | None], None] | None = None


def listen(listener: Callable[[str | None], None] | None) -> None:
    """Have ``listener(path)`` hear every :func:`entering`; None stops listening."""
    global _listener
    _listener = listener


def entering(path: str | None) -> None:
    """Say that code from ``path`` (None: from several files at once) runs next."""
    if _listener is not None:
        _listener(path)
