"""pyqtgraph parts shared by the live plots and exported figures: pens, aligned axes, a floored y range, legends off the data.

:class:`FlooredViewBox` auto-ranges like any ViewBox, but never to a y range
narrower than its ``min_y_span`` (see :mod:`gradlab.model.y_range`); pans and
zooms are the user's own and stay free.  :class:`AlignedAxis` keeps stacked
plots' left axes one width, so their x positions line up.  :func:`legend_above`
and :func:`note_above` put a legend or a note in a row of their own between a
plot's title and its data, where they cover no curve and no marker.
"""

from __future__ import annotations

from html import escape

import pyqtgraph as pg
from PySide6.QtCore import QSizeF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QSizePolicy

from gradlab.gui.style import (
    HAND_WRITTEN_COLOR,
    HAND_WRITTEN_WIDTH,
    REFERENCE_WIDTH,
    TANGENT_COLOR,
    TANGENT_WIDTH,
    reference_color,
)
from gradlab.model.y_range import widened

#: Pixels between one legend entry and the next.
ENTRY_GAP = 14
#: Pixels an aligned axis group may be wider than its labels need before it shrinks (as pyqtgraph's own axes do).
AXIS_SHRINK_SLACK = 10
#: Pixels of a plot's title row (pyqtgraph's own is 30).
TITLE_HEIGHT = 22


def hand_written_pen() -> QPen:
    """The hand-written curve: solid and the widest."""
    return pg.mkPen(HAND_WRITTEN_COLOR, width=HAND_WRITTEN_WIDTH)


def reference_pen(label: str, index: int) -> QPen:
    """A reference curve: its colour, dashed."""
    return pg.mkPen(reference_color(label, index), width=REFERENCE_WIDTH, style=Qt.PenStyle.DashLine)


def residual_pen(reference: str, index: int) -> QPen:
    """The residual "hand-written − ``reference``": the reference's colour, solid."""
    return pg.mkPen(reference_color(reference, index), width=REFERENCE_WIDTH)


def tangent_pen() -> QPen:
    """The tangent at the crosshair: thin, grey, dashed, a construction line and not a curve."""
    return pg.mkPen(TANGENT_COLOR, width=TANGENT_WIDTH, style=Qt.PenStyle.DashLine)


class FlooredViewBox(pg.ViewBox):
    """A ViewBox whose auto-range never makes the y range narrower than ``min_y_span``.

    The floor applies to what auto-range (and the "A" button) computes from
    the data; it leaves pans and zooms alone.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.min_y_span = 0.0

    def set_min_y_span(self, span: float) -> None:
        """Set the floor; auto-range applies it before the next paint (if auto-range is on)."""
        if span != self.min_y_span:
            self.min_y_span = span
            if self.state["autoRange"][1]:
                self.queueUpdateAutoRange()

    def childrenBounds(self, frac=None, orthoRange=(None, None), items=None):  # noqa: N802, N803 - pyqtgraph's names
        bounds = super().childrenBounds(frac=frac, orthoRange=orthoRange, items=items)
        y = bounds[1]
        if y is not None and self.min_y_span > 0:
            bounds[1] = list(widened(y[0], y[1], self.min_y_span))
        return bounds


class AlignedAxis(pg.AxisItem):
    """A left axis as wide as the widest of its group.

    Stacked plots with linked x axes keep their data areas one above the
    other, and every axis still grows to fit its tick labels (pyqtgraph drops
    a label that does not fit, rather than cut it).
    """

    def __init__(self, group: list[AlignedAxis]) -> None:
        self._group = [self]  # pyqtgraph sizes the axis while it is built: on its own until then
        self._own_width = 0.0
        self._measuring = False
        super().__init__("left")
        self._group = group
        group.append(self)

    def _updateWidth(self):  # noqa: N802 - pyqtgraph's name, called whenever its labels may need another width
        self._measuring = True  # pyqtgraph's own sizing only tells this axis's need
        try:
            super()._updateWidth()
        finally:
            self._measuring = False
        widest = max(axis._own_width for axis in self._group)
        current = max(axis.maximumWidth() for axis in self._group)
        if widest > current or widest < current - AXIS_SHRINK_SLACK:  # narrower by a little: not worth a relayout of every plot
            for axis in self._group:
                axis._fix_width(widest)

    def setMaximumWidth(self, width):  # noqa: N802 - Qt's name
        if self._measuring:
            self._own_width = width
        else:
            super().setMaximumWidth(width)

    def setMinimumWidth(self, width):  # noqa: N802 - Qt's name
        if not self._measuring:
            super().setMinimumWidth(width)

    def _fix_width(self, width: float) -> None:
        if self.minimumWidth() != width or self.maximumWidth() != width:
            super().setMinimumWidth(width)
            super().setMaximumWidth(width)
            self.picture = None


class _RowLegend(pg.LegendItem):
    """A legend laid out by its plot's layout: entries side by side, as many a row as the plot's width holds, no frame."""

    _width: float | None = None  # the width it last flowed into

    def _addItemToLayout(self, sample, label):  # noqa: N802 - pyqtgraph's name
        label.setMaximumWidth(label.minimumWidth())  # a label as wide as its text: entries stay together on the left
        super()._addItemToLayout(sample, label)
        if self._width is not None:
            self.reflow(self._width)
        for column in range(1, self.layout.columnCount(), 2):
            self.layout.setColumnSpacing(column, ENTRY_GAP)

    def updateSize(self):  # noqa: N802 - pyqtgraph's name
        self.updateGeometry()  # the plot's layout places and sizes it; never a geometry of its own

    def sizeHint(self, which, constraint=None):  # noqa: N802 - Qt's name
        hint = super().sizeHint(which, QSizeF() if constraint is None else constraint)
        if which == Qt.SizeHint.MinimumSize:
            return QSizeF(0, hint.height())  # narrower plots get fewer entries a row, not a wider plot
        return hint

    def reflow(self, width: float) -> None:
        """As many entries a row as fit in ``width`` (the plot's data area)."""
        self._width = width
        if not self.items or width <= 0:
            return
        columns, used = 0, 0.0
        for sample, label in self.items:
            used += sample.width() + self.layout.horizontalSpacing() + label.minimumWidth() + ENTRY_GAP
            if columns and used > width:
                break
            columns += 1
        if columns != self.columnCount:
            self.setColumnCount(columns)

    def paint(self, p, *args):
        pass  # no frame: it is a row of the plot, not a box on it


def set_title(plot: pg.PlotItem, text: str, size: str = "10pt") -> None:
    """Title ``plot`` in a row of ``TITLE_HEIGHT`` pixels: the data keeps the height."""
    plot.setTitle(text, size=size)
    plot.layout.setRowFixedHeight(0, TITLE_HEIGHT)
    plot.titleLabel.setMaximumHeight(TITLE_HEIGHT)


def no_si_prefix(plot: pg.PlotItem) -> None:
    """Tick labels in plain numbers on every axis of ``plot``: a labelled axis would otherwise read "x (x1e-09)", 0 to 1,
    beside unlabelled ones reading 2e-10."""
    for side in ("left", "bottom", "right", "top"):
        plot.getAxis(side).enableAutoSIPrefix(False)


def wrapped(text: str, width: int = 60) -> str:
    """``text`` with its words in lines of at most ``width`` characters (a longer word has a line of its own)."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def note_above(plot: pg.PlotItem, text: str, color: str = "#a00", size: str = "9pt") -> pg.LabelItem:
    """``text`` (lines split at ``\\n``) in the row between ``plot``'s title and its data, where a legend would go.

    Never on the data and never cut at the plot's edges: wrap long lines before.
    """
    html = "<br>".join(escape(line) for line in text.splitlines())
    label = pg.LabelItem(html, color=color, size=size, justify="left")
    plot.layout.removeItem(plot.getAxis("top"))
    plot.layout.addItem(label, 1, 1)
    return label


def legend_above(plot: pg.PlotItem, text_size: str = "8pt") -> pg.LegendItem:
    """A legend for ``plot`` in the row between its title and its data; curves added with a ``name`` join it.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
        The plot; its (hidden) top axis gives up its row to the legend.
    text_size : str
        The entries' font size.

    Returns
    -------
    pyqtgraph.LegendItem
        The legend, also ``plot.legend``.
    """
    legend = _RowLegend(offset=None, labelTextSize=text_size, colCount=8, verSpacing=0)
    legend.setFlag(legend.GraphicsItemFlag.ItemIgnoresTransformations, False)
    legend.layout.setContentsMargins(0, 0, 0, 2)
    legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    plot.layout.removeItem(plot.getAxis("top"))
    plot.layout.addItem(legend, 1, 1)
    plot.layout.setAlignment(legend, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    plot.vb.sigResized.connect(lambda view: legend.reflow(view.width()))
    plot.legend = legend
    return legend
