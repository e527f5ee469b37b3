"""Colours and pen widths shared by the live plots and exported figures (the pens themselves: :mod:`gradlab.gui.plot_parts`)."""

from __future__ import annotations

HAND_WRITTEN_COLOR = "#1f77b4"
REFERENCE_COLORS = {
    "autograd of forward": "#d62728",
    "finite differences": "#2ca02c",
}
COMPARE_COLORS = ["#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
#: The tangent at the crosshair: a construction line, grey, never a colour a curve could have.
TANGENT_COLOR = "#555555"
#: Line widths in pixels: the hand-written curve widest, references and residuals thinner, the tangent thinnest.
HAND_WRITTEN_WIDTH = 2.5
REFERENCE_WIDTH = 1.5
TANGENT_WIDTH = 1.0


def reference_color(label: str, index: int) -> str:
    """The colour of a reference curve: fixed for the built-in references, cycled for ``compare``."""
    return REFERENCE_COLORS.get(label, COMPARE_COLORS[index % len(COMPARE_COLORS)])
