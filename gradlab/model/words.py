"""Small pieces of English shared by the window and the command line."""

from __future__ import annotations


def counted(n: int, word: str) -> str:
    """``"1 thread"``, ``"4 threads"``: a count with its noun in the right number."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
