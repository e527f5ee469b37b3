"""Instruction counts of benchmark rows as ``Compare``-shaped tables: sizes × implementations.  No torch here."""

from __future__ import annotations

import math

from gradlab.model.results import BenchmarkRow
from gradlab.model.text_args import shape_label

#: The implementation others are compared with (``gradlab.core.benchmark.CUSTOM``).
REFERENCE = "custom Function"
_UNITS = (("billions", 1e9), ("millions", 1e6), ("thousands", 1e3), ("", 1.0))


def count_unit(counts: list[int]) -> tuple[str, float]:
    """One unit for a whole table (``"millions"``, ``"thousands"`` or none), chosen so the smallest count reads at least 1."""
    smallest = min((c for c in counts if c), default=1)
    return next(((name, scale) for name, scale in _UNITS if smallest >= scale), _UNITS[-1])


def _number(count: int, scale: float) -> str:
    value = count / scale
    return f"{value:.4g}" if value < 1000 else f"{value:,.0f}"


def instruction_table(rows: list[BenchmarkRow], reference: str = REFERENCE) -> str:
    """Instructions per call, one table per mode; ``""`` when no row was counted.

    Each cell reads ``count (×ratio)``, the ratio to ``reference`` at the same
    size; the fewest instructions of a size are marked with ``*``.  Rows not
    counted show empty cells.
    """
    counted = [r for r in rows if r.instructions is not None]
    tables = []
    for mode in dict.fromkeys(r.mode for r in counted):
        cells = {(r.dims, r.implementation): r.instructions for r in counted if r.mode == mode}
        names = list(dict.fromkeys(name for _, name in cells))
        sizes = sorted({size for size, _ in cells}, key=lambda dims: (math.prod(dims), len(dims), dims))
        unit, scale = count_unit(list(cells.values()))
        lines = [["size"] + names]
        for size in sizes:
            here = {name: count for (s, name), count in cells.items() if s == size}
            fewest = min(here, key=here.get)
            base = here.get(reference)
            line = [shape_label(size)]
            for name in names:
                count = here.get(name)
                text = "" if count is None else _number(count, scale)
                if count is not None and base and name != reference:
                    text += f" (\u00d7{count / base:.2f})"
                line.append(text + (" *" if name == fewest else ""))
            lines.append(line)
        widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
        title = f"instructions per call, {mode}" + (f" ({unit})" if unit else "")
        tables.append(title + "\n" + "\n".join("  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in lines))
    return "\n".join(tables)
