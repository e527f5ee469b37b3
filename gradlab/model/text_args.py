"""Parse the shapes and size lists people type ("3, 4", "100, 1e4, 100x100").  Shared by the CLI and the panels; no torch."""

from __future__ import annotations

import math

#: The most elements one shape or size may have (2**31: 8 GB in float32 per tensor).
MAX_ELEMENTS = 2**31


def _whole(part: str) -> int:
    """``"100"`` or ``"1e4"`` as an int; ValueError for fractions, NaN and infinities."""
    value = float(part)
    if not value.is_integer():  # also False for NaN and infinities
        raise ValueError(part)
    return int(value)


def _numbers(text: str, example: str) -> tuple[int, ...]:
    parts = [p for p in text.replace("\u00d7", ",").replace("x", ",").replace(";", ",").split(",") if p.strip()]
    try:
        numbers = tuple(_whole(p) for p in parts)
    except ValueError:
        raise ValueError(f"expected whole numbers like {example}, got {text!r}") from None
    if not numbers or min(numbers) <= 0:
        raise ValueError(f"expected positive numbers like {example}, got {text!r}")
    if math.prod(numbers) > MAX_ELEMENTS:
        raise ValueError(f"{text.strip()!r} is more than the {MAX_ELEMENTS:,} (2**31) elements gradlab takes at a time")
    return numbers


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3, 4"`` or ``"3x4"`` → ``(3, 4)``; ValueError with a readable message otherwise."""
    return _numbers(text, "3, 4")


def parse_sizes(text: str) -> tuple[int | tuple[int, ...], ...]:
    """``"100, 1e4, 100x100"`` → ``(100, 10000, (100, 100))``: element counts, or shapes written with ``x``.

    Raises ValueError with a readable message otherwise.
    """
    example = "100, 1e4, 100x100"
    sizes: list[int | tuple[int, ...]] = []
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        shape = _numbers(part, example)
        sizes.append(shape if len(shape) > 1 else shape[0])
    if not sizes:
        raise ValueError(f"expected positive numbers like {example}, got {text!r}")
    return tuple(sizes)


def shape_label(shape: tuple[int, ...]) -> str:
    """``(10000,)`` → ``"10,000"``; ``(100, 100)`` → ``"100×100"``."""
    return f"{shape[0]:,}" if len(shape) == 1 else "\u00d7".join(str(n) for n in shape)
