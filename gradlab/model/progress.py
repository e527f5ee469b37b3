"""Progress of a long core call: what it yields while it works."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` steps of one long call; ``item`` is a partial result (a benchmark row), else None."""

    done: int
    total: int
    item: Any = None


#: A long call: yields :class:`Progress`, returns its result.
Work = Generator[Progress, None, T]


def finish(work: Work[T], on_progress: Callable[[Progress], None] | None = None) -> T:
    """Run a long call to its end, handing each :class:`Progress` to ``on_progress``; return its result."""
    while True:
        try:
            step = next(work)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(step)
