"""Colours and pen styles shared by the live plots and exported figures."""

from __future__ import annotations

HAND_WRITTEN_COLOR = "#1f77b4"
REFERENCE_COLORS = {
    "autograd of forward": "#d62728",
    "finite differences": "#2ca02c",
}
COMPARE_COLORS = ["#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def reference_color(label: str, index: int) -> str:
    """The colour of a reference curve: fixed for the built-in references, cycled for ``compare``."""
    return REFERENCE_COLORS.get(label, COMPARE_COLORS[index % len(COMPARE_COLORS)])
