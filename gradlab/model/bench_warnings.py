"""What a benchmark's rows must warn their reader of, in the same words in ``gradlab bench`` and the panel.  No torch."""

from __future__ import annotations

from gradlab.model.results import BenchmarkRow
from gradlab.model.text_args import shape_label


def shape_warning(row: BenchmarkRow) -> str:
    """Why the row's shape is not the size asked for (the Function's ``inputs`` made another), or ``""``."""
    if not row.requested or tuple(row.requested) == row.dims:
        return ""
    return f"inputs() made {shape_label(row.dims)} when {shape_label(row.requested)} was asked; the row is labelled with what was timed"


def shape_warnings(rows: list[BenchmarkRow]) -> list[str]:
    """:func:`shape_warning` of every row, each once, in row order."""
    return [text for text in dict.fromkeys(shape_warning(row) for row in rows) if text]


def untimed(rows: list[BenchmarkRow]) -> list[BenchmarkRow]:
    """The cells that were asked for and not timed: an error, or no median."""
    return [row for row in rows if row.error or row.median_s is None]
