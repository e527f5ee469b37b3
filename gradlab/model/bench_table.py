"""Benchmark rows as a ``torch.utils.benchmark.Compare``-shaped table: sizes × implementations.  No torch here."""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradlab.model.results import BenchmarkRow
from gradlab.model.text_args import shape_label
from gradlab.model.words import counted

_UNITS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))


def time_unit(seconds: list[float]) -> tuple[str, float]:
    """One unit for a whole table, chosen so the smallest time reads at least 1."""
    finite = [s for s in seconds if s and math.isfinite(s)]
    smallest = min(finite) if finite else 1.0
    for name, scale in _UNITS:
        if smallest >= scale:
            return name, scale
    return _UNITS[-1]


def format_time(seconds: float | None, scale: float) -> str:
    """Four significant figures in the table's unit."""
    if seconds is None:
        return ""
    value = seconds / scale
    return f"{value:.4g}" if value < 1000 else f"{value:.0f}"


def spread_percent(row: BenchmarkRow) -> float:
    """The row's IQR as a percentage of its median."""
    return 100 * (row.iqr_s or 0.0) / row.median_s if row.median_s else 0.0


def spread_mark(row: BenchmarkRow) -> str:
    """``"±12%"`` on a cell whose IQR stayed above 5 % of its median (an unsettled time), else ``""``."""
    return f"\u00b1{spread_percent(row):.0f}%" if row.noisy and row.median_s else ""


def spread_text(row: BenchmarkRow, unit: str, scale: float) -> str:
    """A timed cell's median and spread in words: what a cell's ``±N%`` stands for."""
    rounds = f" over {counted(row.rounds, 'interleaved round')}" if row.rounds else ""
    text = f"median {format_time(row.median_s, scale)} {unit} per call{rounds} ({counted(row.runs, 'run')})"
    iqr = f"IQR {format_time(row.iqr_s or 0.0, scale)} {unit}"
    if row.noisy:
        return f"{text}\nunsettled: its spread, {iqr} ({spread_mark(row)} of the median), stayed above 5 % within the cell's time budget"
    return f"{text}\nspread: {iqr} ({spread_percent(row):.1f} % of the median)"


def method_line(rows: list[BenchmarkRow]) -> str:
    """How the table's numbers were made: rounds, and what a ± means."""
    timed = [r for r in rows if r.median_s is not None]
    if not timed:
        return ""
    rounds = sorted(r.rounds for r in timed)
    span = f"{rounds[0]}" if rounds[0] == rounds[-1] else f"{rounds[0]}–{rounds[-1]}"
    line = f"medians per call over {span} interleaved rounds"
    if any(r.noisy for r in timed):
        line += "; ±N% marks a cell whose IQR stayed above 5 % of its median within its time budget"
    return line


@dataclass
class CompareTable:
    """A mode's rows arranged as Compare does: one row per input shape, one column per implementation.

    ``sizes`` are the input shapes (``(n,)`` for a 1-D input of ``n`` elements),
    smallest first; :func:`~gradlab.model.text_args.shape_label` names them.
    """

    mode: str
    implementations: list[str]
    sizes: list[tuple[int, ...]]
    unit: str
    scale: float
    cells: dict[tuple[tuple[int, ...], str], BenchmarkRow]

    def best(self, size: tuple[int, ...]) -> str | None:
        """The fastest implementation at input shape ``size`` (None if nothing was timed)."""
        timed = [(row.median_s, name) for (s, name), row in self.cells.items() if s == size and row.median_s is not None]
        return min(timed)[1] if timed else None

    def text(self, name: str, size: tuple[int, ...]) -> str:
        row = self.cells.get((size, name))
        if row is None:
            return ""
        if row.error:
            return "not timed"
        mark = spread_mark(row)
        return format_time(row.median_s, self.scale) + (f" {mark}" if mark else "")

    def render(self) -> str:
        """Plain text, the best of each row marked with ``*``."""
        header = [f"size ({self.unit})"] + self.implementations
        lines = [header]
        for size in self.sizes:
            best = self.best(size)
            lines.append([shape_label(size)] + [self.text(n, size) + (" *" if n == best else "") for n in self.implementations])
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        table = "\n".join("  ".join(cell.rjust(w) for cell, w in zip(line, widths)) for line in lines)
        method = method_line(list(self.cells.values()))
        return f"{table}\n  {method}" if method else table


def compare_tables(rows: list[BenchmarkRow]) -> list[CompareTable]:
    """One table per mode, in the order the modes were measured."""
    tables = []
    for mode in dict.fromkeys(r.mode for r in rows):
        mode_rows = [r for r in rows if r.mode == mode]
        unit, scale = time_unit([r.median_s for r in mode_rows if r.median_s is not None])
        tables.append(
            CompareTable(
                mode=mode,
                implementations=list(dict.fromkeys(r.implementation for r in mode_rows)),
                sizes=sorted({r.dims for r in mode_rows}, key=lambda dims: (math.prod(dims), len(dims), dims)),
                unit=unit,
                scale=scale,
                cells={(r.dims, r.implementation): r for r in mode_rows},
            )
        )
    return tables
