"""SVG export through Qt's own ``QSvgGenerator``.

pyqtgraph 0.14's ``SVGExporter`` fails on every export with PySide6 6.11
(``ValueError: not enough values to unpack`` in ``correctCoordinates``,
pyqtgraph issue #3485).  :class:`QtSvgExporter` renders the same scene with
``QSvgGenerator`` instead; :func:`install` puts it in place of pyqtgraph's in
the plots' context menus, and :func:`export_svg` serves gradlab's own exports.
"""

from __future__ import annotations

from pyqtgraph.exporters import Exporter, SVGExporter
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtSvg import QSvgGenerator


def _render(exporter: Exporter, path: str) -> None:
    source = exporter.getSourceRect()
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("gradlab")
    # pyqtgraph draws curves in device coordinates: the generator must have the screen's resolution, or the
    # curves come out scaled against their axes (QSvgGenerator defaults to 72 dpi)
    screen = QGuiApplication.primaryScreen()
    generator.setResolution(round(screen.logicalDotsPerInch()) if screen is not None else 96)
    painter = QPainter(generator)
    try:
        exporter.setExportMode(True, {"antialias": True, "background": None, "painter": painter})
        exporter.getScene().render(painter, QRectF(0, 0, source.width(), source.height()), QRectF(source))
    finally:
        exporter.setExportMode(False)
        painter.end()


class QtSvgExporter(SVGExporter):
    """pyqtgraph's SVG exporter, drawing with ``QSvgGenerator`` (to a file; copy and bytes are not offered)."""

    Name = "Scalable Vector Graphics (SVG)"
    allowCopy = False

    def export(self, fileName=None, toBytes=False, copy=False):  # noqa: N803 - pyqtgraph's signature
        if fileName is None:
            self.fileSaveDialog(filter="Scalable Vector Graphics (*.svg)")
            return None
        _render(self, str(fileName))
        return None


def install() -> None:
    """Offer :class:`QtSvgExporter` instead of pyqtgraph's SVG exporter in every plot's Export dialog."""
    exporters = Exporter.Exporters
    if SVGExporter in exporters:
        exporters[exporters.index(SVGExporter)] = QtSvgExporter
    elif QtSvgExporter not in exporters:
        exporters.append(QtSvgExporter)


def export_svg(scene, path: str) -> None:
    """Write a pyqtgraph scene (or item) to ``path`` as SVG."""
    _render(QtSvgExporter(scene), path)
