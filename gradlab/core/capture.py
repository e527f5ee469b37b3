"""Capture what user code prints and warns, with a cap, so nothing floods or is lost.

``print`` is caught at the Python level; writes to file descriptors 1 and 2
(``os.write``, C extensions, torch's own C++ messages, child processes) are
caught by pointing those descriptors at a pipe for the duration.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
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


class _FdCapture:
    """Points file descriptors 1 and 2 at a pipe; a thread keeps its first ``limit`` bytes and counts the rest.

    The pipe never fills a disk or memory however much is written, and the
    writer is never stopped: what is over the cap is read and dropped.
    ``faulthandler`` writes to its own file and is not affected.
    """

    #: Pipe capacity asked for (Linux), so short writes from code holding the GIL never wait for the reader.
    PIPE_BYTES = 1 << 20
    #: Seconds to wait for the last bytes once the descriptors are restored.
    JOIN_TIMEOUT = 1.0

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._kept = bytearray()
        self.dropped = 0
        self._saved: list[int] = []
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _FdCapture:
        try:
            read_end, write_end = os.pipe()
        except OSError:  # out of file descriptors: print is still captured
            return self
        saved: list[int] = []
        try:
            for fd in (1, 2):
                saved.append(os.dup(fd))
        except OSError:  # no stdout or stderr to capture (a windowed process)
            for fd in (read_end, write_end, *saved):
                os.close(fd)
            return self
        self._saved = saved
        _enlarge(write_end, self.PIPE_BYTES)
        self._thread = threading.Thread(target=self._drain, args=(read_end,), name="gradlab-capture", daemon=True)
        self._thread.start()
        _flush_standard_streams()
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        return self

    def __exit__(self, *exc) -> None:
        if not self._saved:
            return
        _flush_standard_streams()
        for fd, saved in zip((1, 2), self._saved):
            os.dup2(saved, fd)
            os.close(saved)
        self._saved = []
        self._thread.join(self.JOIN_TIMEOUT)  # returns at EOF, unless a child process still holds the pipe

    def _drain(self, read_end: int) -> None:
        try:
            while chunk := os.read(read_end, 65536):
                room = self._limit - len(self._kept)
                if room > 0:
                    self._kept += chunk[:room]
                self.dropped += max(0, len(chunk) - max(room, 0))
        finally:
            os.close(read_end)

    def text(self) -> str:
        """What was kept, as text (bytes that are not UTF-8 are replaced)."""
        return bytes(self._kept).decode("utf-8", errors="replace")


def _enlarge(fd: int, size: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except (ImportError, AttributeError, OSError):  # not Linux, or above the system's pipe-max-size
        pass


def _flush_standard_streams() -> None:
    """Flush Python's own stdout and stderr, so what they buffered lands on the descriptor it was meant for."""
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass


#: Warnings PyTorch raises about its own internals (vmap's batching rules use torch.jit), not about user code.
_INTERNAL = (f"{os.sep}torch{os.sep}jit{os.sep}",)


def _format_warning(message: warnings.WarningMessage) -> str:
    return f"{message.filename}:{message.lineno}: {message.category.__name__}: {message.message}"


@contextlib.contextmanager
def captured_output(limit: int = STDOUT_LIMIT) -> Iterator[Captured]:
    """Capture printed output and record warnings for the duration of the block.

    The yielded :class:`Captured` is filled in when the block exits (also when
    it raises).  ``print`` to stdout and stderr, then what was written to file
    descriptors 1 and 2, share one buffer of ``limit`` characters; the rest is
    counted in ``dropped_chars`` and noted at the end of ``stdout``.  Repeated
    warnings are folded into one line with a count.
    """
    result = Captured()
    stream = _CappedText(limit)
    descriptors = _FdCapture(limit)
    try:
        with warnings.catch_warnings(record=True) as recorded, descriptors:
            warnings.simplefilter("always")
            old_out, old_err = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = stream
            try:
                yield result
            finally:
                sys.stdout, sys.stderr = old_out, old_err
                counts = Counter(_format_warning(w) for w in recorded if not any(part in w.filename for part in _INTERNAL))
                result.warnings.extend(text if n == 1 else f"{text} (\u00d7{n})" for text, n in counts.items())
    finally:
        _fill(result, stream, descriptors)


def _fill(result: Captured, printed: _CappedText, descriptors: _FdCapture) -> None:
    """``result.stdout``: what was printed, then what reached the descriptors, within one cap; a note counts the rest."""
    printed.write(descriptors.text())
    result.stdout = printed.getvalue()
    result.dropped_chars = printed.dropped + descriptors.dropped
    if result.dropped_chars:
        result.stdout += f"\n[gradlab: {result.dropped_chars:,} more characters of output dropped]\n"


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
