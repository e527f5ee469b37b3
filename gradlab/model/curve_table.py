"""Curves as a table: the columns of ``gradlab plot --out x.csv`` and the window's CSV export.  No torch here."""

from __future__ import annotations

import csv

from gradlab.model.results import CurveSet


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


def write_csv(curves: CurveSet, path: str) -> None:
    """Write one row per point; empty cells where a curve is unavailable."""
    columns = curve_columns(curves)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(name for name, _ in columns)
        for i in range(len(curves.x)):
            writer.writerow("" if values is None else repr(float(values[i])) for _, values in columns)
