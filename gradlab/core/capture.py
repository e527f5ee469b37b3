"""Capture what user code prints and warns, with a cap, so nothing floods or is lost."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import TypeVar

from gradlab.model.progress import Work
from gradlab.model.results import Captured

T = TypeVar("T")

#: Printed characters kept per run; the rest is counted, not stored.
STDOUT_LIMIT = 64_000


class _CappedText(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int) -> None:
        self._parts: list[str] = []
        self._kept = 0
        self._limit = limit
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self._limit - self._kept
        if room > 0:
            self._parts.append(text[:room])
            self._kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def getvalue(self) -> str:
        return "".join(self._parts)


#: Warnings PyTorch raises about its own internals (vmap's batching rules use torch.jit), not about user code.
_INTERNAL = (f"{os.sep}torch{os.sep}jit{os.sep}",)


def _format_warning(message: warnings.WarningMessage) -> str:
    return f"{message.filename}:{message.lineno}: {message.category.__name__}: {message.message}"


@contextlib.contextmanager
def captured_output(limit: int = STDOUT_LIMIT) -> Iterator[Captured]:
    """Redirect ``print`` output and record warnings for the duration of the block.

    The yielded :class:`Captured` is filled in when the block exits (also when
    it raises).  stdout and stderr share one capped buffer; repeated warnings
    are folded into one line with a count.
    """
    result = Captured()
    stream = _CappedText(limit)
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = stream
        try:
            yield result
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            counts = Counter(_format_warning(w) for w in recorded if not any(part in w.filename for part in _INTERNAL))
            result.warnings.extend(text if n == 1 else f"{text} (\u00d7{n})" for text, n in counts.items())
            result.stdout = stream.getvalue()
            result.dropped_chars = stream.dropped
            if stream.dropped:
                result.stdout += f"\n[gradlab: {stream.dropped:,} more characters of output dropped]\n"


def quietly(work: Work[T]) -> Work[T]:
    """``work`` with what user code prints and warns captured and dropped, step by step.

    Each step runs inside :func:`captured_output`; the consumer, between
    steps, does not, so its own output still reaches the terminal.
    """
    try:
        while True:
            try:
                with captured_output():
                    step = next(work)
            except StopIteration as stop:
                return stop.value
            yield step
    finally:
        work.close()
