"""Curves as a table: the columns of ``gradlab plot --out x.csv`` and the window's CSV export.  No torch here."""

from __future__ import annotations

import csv
import itertools

from gradlab.model.results import CurveSet

#: Rows formatted at a time when writing a CSV.
CSV_CHUNK_ROWS = 10_000


def _slug(label: str) -> str:
    return {"autograd of forward": "autograd", "finite differences": "fd"}.get(label, label.replace(" ", "_"))


def curve_columns(curves: CurveSet) -> list[tuple[str, object]]:
    """The CSV columns: ``x,f,df,d2f`` (hand-written), then each reference, then residuals."""
    hand = curves.hand_written
    columns = [("x", curves.x), ("f", hand.f), ("df", hand.df), ("d2f", hand.d2f)]
    for reference in curves.references:
        slug = _slug(reference.label)
        columns += [(f"{slug}_f", reference.f), (f"{slug}_df", reference.df), (f"{slug}_d2f", reference.d2f)]
    for residual in curves.residuals:
        columns.append((f"residual_{'df' if residual.order == 1 else 'd2f'}_{_slug(residual.reference)}", residual.values))
    return columns


def _rows(columns: list[tuple[str, object]], count: int, chunk: int):
    """The table's rows, ``chunk`` at a time: only one chunk of rows is ever held as text."""
    for start in range(0, count, chunk):
        stop = min(start + chunk, count)
        cells = [itertools.repeat("", stop - start) if values is None else values[start:stop].tolist() for _, values in columns]
        yield from zip(*cells)


def write_csv(curves: CurveSet, path: str, chunk: int = CSV_CHUNK_ROWS) -> None:
    """Write one row per point, streamed ``chunk`` rows at a time; empty cells where a curve is unavailable.

    Values are written as Python writes floats (shortest round-trip repr).
    """
    columns = curve_columns(curves)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(name for name, _ in columns)
        writer.writerows(_rows(columns, len(curves.x), chunk))
