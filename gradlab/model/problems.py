"""Turn exceptions from user code into :class:`Problem`s that name the file and line."""

from __future__ import annotations

import os
import traceback
from types import TracebackType

from gradlab.model.results import Location, Problem


class UserCodeError(Exception):
    """Raised by the core when user code cannot be used; carries a :class:`Problem`."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _same_file(a: str, b: str) -> bool:
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def innermost_user_frame(tb: TracebackType | None, filename: str) -> Location | None:
    """Return the last traceback frame that lies in ``filename``."""
    found = None
    for frame_summary in traceback.extract_tb(tb):
        if _same_file(frame_summary.filename, filename):
            found = Location(filename, frame_summary.lineno or 0)
    return found


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def problem_from_exception(
    exc: BaseException,
    filename: str,
    kind: str,
    doing: str,
    hint: str = "",
    fallback: Location | None = None,
) -> Problem:
    """Describe ``exc``, raised while ``doing`` something with the user's ``filename``.

    Parameters
    ----------
    exc : BaseException
        The exception, with its traceback.
    filename : str
        The user's file; the message names its innermost frame.
    kind : str
        The :attr:`Problem.kind`.
    doing : str
        What was running, e.g. ``"Sigmoid.forward"`` or ``"loading"``.
    hint : str, optional
        How to fix it.
    fallback : Location, optional
        Where to point when no frame lies in the user's file (e.g. PyTorch
        rejecting what backward returned, after it returned).
    """
    if isinstance(exc, SyntaxError) and exc.filename and _same_file(exc.filename, filename):
        location = Location(filename, exc.lineno or 0)
        detail = f"{type(exc).__name__}: {exc.msg}"
        hint = hint or syntax_hint(exc)
    else:
        location = innermost_user_frame(exc.__traceback__, filename) or fallback
        detail = _detail(exc)
        if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc):
            hint = hint or (
                "the engine ran out of the memory it may use (GRADLAB_ENGINE_MEMORY_LIMIT_MB, by default 3/4 of RAM): "
                "use smaller tensors"
            )
    where = str(location) if location else filename
    message = f"{where}: {doing} raised {detail.splitlines()[0]}"
    return Problem(
        kind=kind,
        message=message,
        location=location,
        detail=detail,
        hint=hint,
        traceback="".join(traceback.format_exception(exc)),
    )


_CURLY = "\u2018\u2019\u201c\u201d"


def syntax_hint(exc: SyntaxError) -> str:
    """A fix for the syntax errors people make when pasting code from a web page."""
    line = exc.text or ""
    if any(c in line for c in _CURLY):
        return "the line has typographic quotes (\u2018 \u2019 \u201c \u201d); replace them with ' or \""
    if "\u00a0" in line or "\u3000" in line:
        return "the line has a non-breaking or full-width space; replace it with a plain space"
    return ""
