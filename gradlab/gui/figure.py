"""A static three-panel figure (f, f′, f″) of a CurveSet, exported with pyqtgraph's exporters."""

from __future__ import annotations

import numpy as np

from gradlab.gui.qt_setup import ensure_application
from gradlab.gui.style import HAND_WRITTEN_COLOR, reference_color
from gradlab.model.results import CurveSet

PANELS = (("f", "f"), ("df", "f\u2032"), ("d2f", "f\u2033"))


def export_figure(curves: CurveSet, path: str, width: int = 900, height: int = 900) -> None:
    """Write ``curves`` as a PNG (or SVG, by the extension) of three stacked plots with linked x axes."""
    ensure_application(headless=True)
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter

    from gradlab.gui.svg_export import export_svg

    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    layout = pg.GraphicsLayoutWidget()
    layout.resize(width, height)
    first = None
    for row, (attribute, title) in enumerate(PANELS):
        plot = layout.addPlot(row=row, col=0, title=f"{title}   ({curves.function})")
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.getAxis("left").setWidth(64)  # room for negative tick labels in exports
        plot.addLegend(offset=(-10, 10))
        if first is None:
            first = plot
        else:
            plot.setXLink(first)
        for index, reference in enumerate(curves.references):
            values = getattr(reference, attribute)
            if values is not None:
                pen = pg.mkPen(reference_color(reference.label, index), width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine)
                plot.plot(curves.x, values, pen=pen, name=reference.label, connect="finite")
        hand = getattr(curves.hand_written, attribute)
        if hand is not None:
            plot.plot(curves.x, hand, pen=pg.mkPen(HAND_WRITTEN_COLOR, width=2.5), name=curves.hand_written.label, connect="finite")
        else:
            note = curves.hand_written.d2f_note if attribute == "d2f" else curves.hand_written.df_note
            text = pg.TextItem(f"hand-written {title} unavailable:\n{note}", color="#a00", anchor=(0.5, 0.5))
            plot.addItem(text)
            text.setPos(float(np.mean(curves.x)), 0.0)
        if row == len(PANELS) - 1:
            plot.setLabel("bottom", curves.parameter)
    layout.show()
    pg.QtWidgets.QApplication.processEvents()
    try:
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
