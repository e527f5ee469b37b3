"""Parse the shapes and size lists people type ("3, 4", "100, 1e4").  Shared by the CLI and the panels; no torch."""

from __future__ import annotations


def _numbers(text: str, example: str) -> tuple[int, ...]:
    parts = [p for p in text.replace("\u00d7", ",").replace("x", ",").replace(";", ",").split(",") if p.strip()]
    try:
        numbers = tuple(int(float(p)) for p in parts)
    except ValueError:
        raise ValueError(f"expected numbers like {example}, got {text!r}") from None
    if not numbers or min(numbers) <= 0:
        raise ValueError(f"expected positive numbers like {example}, got {text!r}")
    return numbers


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3, 4"`` or ``"3x4"`` → ``(3, 4)``; ValueError with a readable message otherwise."""
    return _numbers(text, "3, 4")


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"100, 1e4, 1e6"`` → ``(100, 10000, 1000000)``; ValueError with a readable message otherwise."""
    return _numbers(text, "100, 1e4, 1e6")
