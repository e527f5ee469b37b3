"""A static figure of a CurveSet: f, f′, f″ and one residual plot per derivative order, exported with pyqtgraph's exporters.

The same parts as the window's plots (:mod:`gradlab.gui.plot_parts`): a y
range never narrower than the values' scale allows, legends and notes in a
row above the data, never on it.
"""

from __future__ import annotations

from html import escape

from gradlab.gui.qt_setup import ensure_application
from gradlab.model.results import CurveSet

#: Relative heights of the f, f′, f″ plots and the two residual plots.
ROW_STRETCH = (3, 3, 3, 2, 2)
#: Colour of the curves' notes ("f is not finite at …"), as in the window.
NOTE_COLOR = "#a15c00"
#: Paint-and-layout passes before the export: enough for every axis to take the width its labels need.
SETTLE_PASSES = 3
#: Characters a note line holds per pixel of figure width.
NOTE_CHARS_PER_PIXEL = 1 / 7


def export_figure(curves: CurveSet, path: str, width: int = 900, height: int = 1150) -> None:
    """Write ``curves`` as a PNG (or SVG, by the extension) of five stacked plots with linked x axes.

    f, f′ and f″ (hand-written and every reference), then the residuals of f′ and of f″,
    each on its own y axis and titled with its largest value.
    """
    ensure_application(headless=True)
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter

    from gradlab.gui.svg_export import export_svg

    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    layout = pg.GraphicsLayoutWidget()
    layout.resize(width, height)
    try:
        figure_plots(layout, curves, width)
        settle(layout)
        if path.lower().endswith(".svg"):
            export_svg(layout.scene(), path)
        else:
            exporter = ImageExporter(layout.scene())
            exporter.parameters()["width"] = width
            if exporter.export(path) is False:  # Qt found no image writer for the extension
                raise OSError(f"cannot write an image to {path}: use .png or .svg")
    finally:
        layout.close()
        pg.setConfigOptions(antialias=False)  # the live plots draw fast without it


def settle(layout) -> None:
    """Show ``layout`` and paint it until every axis has the width its tick labels need (pyqtgraph drops one that does not fit)."""
    from PySide6.QtWidgets import QApplication

    layout.show()
    for _ in range(SETTLE_PASSES):  # each paint may widen an axis for its labels; the next event loop lays it out
        layout.grab()
        QApplication.processEvents()


def figure_plots(layout, curves: CurveSet, width: int) -> list:
    """Add the figure's plots to a ``pyqtgraph.GraphicsLayoutWidget``, top to bottom; return their PlotItems.

    ``curves.notes`` (non-finite points, kinks…), wrapped, go in a row above the first plot.
    """
    import pyqtgraph as pg

    from gradlab.gui.plot_parts import (
        AlignedAxis,
        FlooredViewBox,
        hand_written_pen,
        legend_above,
        no_si_prefix,
        note_above,
        reference_pen,
        residual_pen,
        set_title,
        wrapped,
    )
    from gradlab.gui.plots import PANELS, RESIDUAL_PANELS, WORST_TITLE, no_residual_note, worst_residual
    from gradlab.model.y_range import min_span, order_scales, residual_scale

    scales = order_scales(curves)
    hand = curves.hand_written
    note_width = max(40, int(width * NOTE_CHARS_PER_PIXEL))
    references = [reference.label for reference in curves.references]
    plots = []
    left_axes: list[AlignedAxis] = []  # as wide as the widest tick labels need: the plots line up, no label is dropped
    first_row = 0
    if curves.notes:  # what the CLI also writes to stderr: the figure alone must say it too
        text = "\n".join(wrapped(note, note_width) for note in curves.notes)
        html = "<br>".join(escape(line) for line in text.splitlines())
        layout.addLabel(html, row=0, col=0, color=NOTE_COLOR, size="9pt", justify="left")
        layout.ci.layout.setRowStretchFactor(0, 0)
        first_row = 1

    def add_plot(title: str, scale: float):
        row = first_row + len(plots)
        plot = layout.addPlot(row=row, col=0, viewBox=FlooredViewBox(), axisItems={"left": AlignedAxis(left_axes)})
        set_title(plot, title)
        no_si_prefix(plot)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.getViewBox().set_min_y_span(min_span(scale))
        layout.ci.layout.setRowStretchFactor(row, ROW_STRETCH[len(plots)])
        if plots:
            plot.setXLink(plots[0])
        plots.append(plot)
        return plot

    for order, (_name, attribute, title) in enumerate(PANELS):
        plot = add_plot(f"{title}   ({curves.function})", scales[order])
        if order == 0:
            legend_above(plot, text_size="9pt")  # one legend names every curve; the others share its colours
        for index, reference in enumerate(curves.references):
            values = getattr(reference, attribute)
            if values is not None:
                plot.plot(curves.x, values, pen=reference_pen(reference.label, index), name=reference.label, connect="finite")
        values = getattr(hand, attribute)
        if values is not None:
            plot.plot(curves.x, values, pen=hand_written_pen(), name=hand.label, connect="finite")
        else:
            note = hand.d2f_note if attribute == "d2f" else hand.df_note
            note_above(plot, wrapped(f"hand-written {title} unavailable: {note}", note_width))
    for _name, order, title in RESIDUAL_PANELS:
        shown = [r for r in curves.residuals if r.order == order]
        primary, worst, at = worst_residual(shown, curves.x)
        plot = add_plot(WORST_TITLE.format(symbol=PANELS[order][2], worst=worst) if worst else title, residual_scale(order, curves, scales))
        if not shown:
            note_above(plot, no_residual_note(curves, order), color="#555")
            continue
        legend_above(plot, text_size="9pt")
        for index, residual in enumerate(shown):
            colour_index = references.index(residual.reference) if residual.reference in references else index
            plot.plot(curves.x, residual.values, pen=residual_pen(residual.reference, colour_index), name=residual.label, connect="finite")
        if primary is not None and at is not None:
            marker = pg.ScatterPlotItem([curves.x[at]], [primary.values[at]], size=10, pen=pg.mkPen("#a00", width=2), brush=None)
            plot.addItem(marker, ignoreBounds=True)
    plots[-1].setLabel("bottom", curves.parameter)
    return plots
